# Type stubs of the extension module (src/python.rs). Reports and
# documents cross as JSON text; radguard/__init__.py wraps them.
from typing import List, Optional, Tuple

EDITION: str
OPTIONS: List[str]
VERSION: str

class DeidKey:
    @staticmethod
    def from_file(path: str) -> DeidKey: ...
    @staticmethod
    def from_bytes(data: bytes) -> DeidKey: ...
    @staticmethod
    def random() -> DeidKey: ...
    @property
    def id(self) -> str: ...

class Profile:
    def __init__(
        self,
        options: List[str],
        allow_burned_in: bool,
        trust_declared_private: bool,
        keep_text: List[str],
    ) -> None: ...
    @property
    def options(self) -> List[str]: ...
    def explain(self, tag: str) -> str: ...

class PseudonymMap:
    @staticmethod
    def from_file(path: str) -> PseudonymMap: ...
    @staticmethod
    def from_pairs(pairs: List[Tuple[str, str]]) -> PseudonymMap: ...
    def __len__(self) -> int: ...

class Deidentifier:
    def __init__(
        self,
        key: DeidKey,
        profile: Profile,
        pseudonyms: Optional[PseudonymMap],
        mapping: bool,
    ) -> None: ...
    @property
    def key_id(self) -> str: ...
    def deidentify_bytes(self, data: bytes) -> Tuple[bytes, str]: ...
    def deidentify_file(self, input: str, output: str, overwrite: bool) -> str: ...
    def deidentify_into(
        self, inputs: List[str], outdir: str, overwrite: bool
    ) -> List[Tuple[Optional[str], Optional[str], Optional[Exception]]]: ...

class Keyring:
    @staticmethod
    def open(path: str) -> Keyring: ...
    def keys(self) -> str: ...
    def encrypt_file(
        self,
        input: str,
        output: str,
        key_id: Optional[str],
        segment_size: Optional[int],
        overwrite: bool,
    ) -> str: ...
    def decrypt_file(self, input: str, output: str, overwrite: bool) -> str: ...

def encryption_info(path: str) -> Optional[str]: ...
def inspect(path: str) -> str: ...
def cvss(vector: str, lenient: bool) -> str: ...
def score_inventory(
    inventory: str,
    format: str,
    as_of: Optional[str],
    kev_json: Optional[str],
    kev_csv: Optional[str],
    epss_csv: Optional[str],
    weights_json: Optional[str],
) -> str: ...
