//! Resource limits for reading untrusted files.

/// Resource limits applied while reading a file.
///
/// The defaults suit clinical images on a workstation or server; lower them
/// for a service that reads files from untrusted senders under a tight
/// memory budget.
///
/// | limit | default | what it bounds |
/// |---|---|---|
/// | [`max_depth`](Limits::max_depth) | 64 | sequence nesting depth |
/// | [`max_elements`](Limits::max_elements) | 1,000,000 | elements in one data set, nested ones included |
/// | [`max_in_memory`](Limits::max_in_memory) | 2 GiB | bytes of element values held in memory (all of them for [`open`](crate::open); everything but Pixel Data for [`open_split`](crate::open_split)) |
/// | [`max_inflated`](Limits::max_inflated) | 1 GiB | size of a deflated data set once inflated |
///
/// Whatever the limits, no declared length is ever trusted: each one is
/// checked against the bytes really present before any memory is reserved.
///
/// # Examples
///
/// ```
/// use radguard_dicom::Limits;
///
/// let strict = Limits::default().max_depth(16).max_in_memory(64 << 20);
/// assert_eq!(strict.depth(), 16);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub(crate) max_depth: u32,
    pub(crate) max_elements: u64,
    pub(crate) max_in_memory: u64,
    pub(crate) max_inflated: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_elements: 1_000_000,
            max_in_memory: 2 << 30,
            max_inflated: 1 << 30,
        }
    }
}

impl Limits {
    /// Sets the maximum sequence nesting depth (top-level data set = 0).
    #[must_use]
    pub const fn max_depth(mut self, depth: u32) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets the maximum number of elements, nested ones included.
    #[must_use]
    pub const fn max_elements(mut self, n: u64) -> Self {
        self.max_elements = n;
        self
    }

    /// Sets the maximum number of value bytes held in memory.
    #[must_use]
    pub const fn max_in_memory(mut self, bytes: u64) -> Self {
        self.max_in_memory = bytes;
        self
    }

    /// Sets the maximum size of an inflated (deflated transfer syntax) data set.
    #[must_use]
    pub const fn max_inflated(mut self, bytes: u64) -> Self {
        self.max_inflated = bytes;
        self
    }

    /// The configured depth limit.
    #[must_use]
    pub const fn depth(&self) -> u32 {
        self.max_depth
    }

    /// The configured element-count limit.
    #[must_use]
    pub const fn elements(&self) -> u64 {
        self.max_elements
    }

    /// The configured in-memory byte limit.
    #[must_use]
    pub const fn in_memory(&self) -> u64 {
        self.max_in_memory
    }

    /// The configured inflated-size limit.
    #[must_use]
    pub const fn inflated(&self) -> u64 {
        self.max_inflated
    }
}
