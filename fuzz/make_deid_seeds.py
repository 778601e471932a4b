#!/usr/bin/env python3
"""Writes the crafted seeds of the deid_bytes fuzz target (hostile
structures of the de-identification hardening issue), one file per class.

Usage: python3 fuzz/make_deid_seeds.py  (needs pydicom; run from the repo root)
"""
import os
import struct

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "deid_bytes")
NAME, MRN = "DOE^JOHN", "MRN998877"


def base():
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.99.1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.99.2"
    ds.PatientName = NAME
    ds.PatientID = MRN
    ds.PatientBirthDate = "19600102"
    ds.BurnedInAnnotation = "NO"
    return ds


def save(name, ds, ts=ExplicitVRLittleEndian):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ts
    ds.file_meta = meta
    path = os.path.join(OUT, name)
    ds.save_as(path, enforce_file_format=True)
    print(path, os.path.getsize(path))
    return path


def main():
    ds = base()
    for g in (0x0001, 0x0003, 0x0005, 0x0007):
        ds.add_new((g, 0x0010), "LO", NAME)
    save("seed-crafted-forbidden-groups.dcm", ds)

    ds = base()
    item = Dataset()
    item.add_new((0x0002, 0x0016), "AE", "DOEJOHN_PC")
    item.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.99.3"
    ds.ReferencedImageSequence = Sequence([item])
    path = save("seed-crafted-misplaced-groups.dcm", ds)
    # pydicom does not write command elements into a data set: insert
    # Error Comment (0000,0902) LO at the start of the data set by hand.
    data = open(path, "rb").read()
    meta_end = 144 + struct.unpack("<I", data[140:144])[0]
    value = ("failed for " + NAME).encode()
    value += b" " * (len(value) % 2)
    elem = struct.pack("<HH2sH", 0x0000, 0x0902, b"LO", len(value)) + value
    open(path, "wb").write(data[:meta_end] + elem + data[meta_end:])

    ds = base()
    ds.add_new((0x0008, 0x1140), "LT", NAME + " " + MRN)  # Referenced Image Sequence as LT
    ds.add_new((0x0008, 0x2112), "OB", (MRN + " " + NAME).encode())  # Source Image Sequence as OB
    ds.add_new((0x0008, 0x1030), "OB", b"CT chest DOE JOHN ")  # Study Description as OB
    ds.add_new((0x0028, 0x0030), "DS", ["0.5", "1"])
    ds.add_new((0x0018, 0x0050), "LO", MRN)  # Slice Thickness holding an ID
    save("seed-crafted-wrong-vrs.dcm", ds)

    # A safe private sequence (Philips Imaging DD 001, (2001,xx5F)) as UN
    # bytes holding the patient's name and ID.
    item = b""
    for (g, e), v in (((0x0010, 0x0010), NAME), ((0x0010, 0x0020), MRN)):
        b = v.encode() + (b" " if len(v) % 2 else b"")
        item += struct.pack("<HHI", g, e, len(b)) + b
    un = struct.pack("<HHI", 0xFFFE, 0xE000, len(item)) + item
    ds = base()
    ds.add_new((0x2001, 0x0010), "LO", "Philips Imaging DD 001")
    ds.add_new((0x2001, 0x105F), "UN", un)
    ds.add_new((0x0028, 0x3003), "LO", "window for DOE JOHN")
    ds.add_new((0x0040, 0xE001), "ST", MRN + "^^^HOSP")
    save("seed-crafted-private-un-sequence.dcm", ds)

    ds = base()
    ds.StudyDescription = "山田太郎様 頭部CT"
    ds.PatientName = "Yamada^Tarou=山田^太郎"
    ds.SpecificCharacterSet = ["", "ISO 2022 IR 87"]
    save("seed-crafted-cjk.dcm", ds, ImplicitVRLittleEndian)


if __name__ == "__main__":
    main()
