//! UIDs: syntax (PS3.5 §9.1) and the well-known UIDs of the standard.

/// `true` if `uid` (without padding) is a syntactically valid UID: at most
/// 64 characters, components of digits separated by single dots, no
/// component with a leading zero (except `0` itself).
///
/// # Examples
///
/// ```
/// use radguard_dicom::uid::is_valid;
/// assert!(is_valid("1.2.840.10008.1.2.1"));
/// assert!(!is_valid("1.02.3"));
/// assert!(!is_valid("DOE^JOHN"));
/// assert!(!is_valid(""));
/// ```
#[must_use]
pub fn is_valid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= 64
        && uid.split('.').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_digit())
                && (c == "0" || !c.starts_with('0'))
        })
}

/// The root of every UID the DICOM standard itself defines (SOP classes,
/// transfer syntaxes, well-known instances, coding schemes, context groups,
/// LDAP OIDs): PS3.6 Annex A.
pub const DICOM_ROOT: &str = "1.2.840.10008.";

/// Coding scheme UIDs of PS3.16 Table 8-1 registered outside the DICOM root
/// (HL7 and other registries), for the coding schemes most used in image
/// objects and structured reports.
pub const WELL_KNOWN_CODING_SCHEMES: &[&str] = &[
    "2.16.840.1.113883.6.96",     // SNOMED CT (SCT)
    "2.16.840.1.113883.6.5",      // SNOMED (SRT)
    "2.16.840.1.113883.6.1",      // LOINC (LN)
    "2.16.840.1.113883.6.8",      // UCUM
    "2.16.840.1.113883.6.256",    // RadLex (RADLEX)
    "2.16.840.1.113883.6.3",      // ICD-10
    "2.16.840.1.113883.6.90",     // ICD-10-CM
    "2.16.840.1.113883.6.4",      // ICD-10-PCS
    "2.16.840.1.113883.6.103",    // ICD-9-CM
    "2.16.840.1.113883.6.43.1",   // ICD-O-3
    "2.16.840.1.113883.6.119",    // FMA
    "2.16.840.1.113883.6.12",     // CPT-4
    "2.16.840.1.113883.6.26",     // MeSH
    "2.16.840.1.113883.6.86",     // UMLS
    "2.16.840.1.113883.6.24",     // MDC (ISO/IEEE 11073)
    "2.16.840.1.113883.6.88",     // RxNorm
    "2.16.840.1.113883.6.69",     // NDC
    "2.16.840.1.113883.3.26.1.1", // NCI Thesaurus (NCIt)
    "2.16.840.1.113883.6.177",    // Medline
    "2.16.840.1.113883.6.6",      // ICD-9 (ICD9)
];

/// `true` if `uid` is defined by the standard (under [`DICOM_ROOT`]) or is
/// one of the [`WELL_KNOWN_CODING_SCHEMES`]: a UID that identifies a kind
/// of thing (a SOP class, a transfer syntax, a coding scheme) and never a
/// patient, study or instance.
///
/// # Examples
///
/// ```
/// use radguard_dicom::uid::is_well_known;
/// assert!(is_well_known("1.2.840.10008.5.1.4.1.1.2")); // CT Image Storage
/// assert!(is_well_known("2.16.840.1.113883.6.96")); // SNOMED CT
/// assert!(!is_well_known("1.2.826.0.1.3680043.8.498.1")); // an instance
/// ```
#[must_use]
pub fn is_well_known(uid: &str) -> bool {
    let uid = crate::text::trim_value(uid);
    is_valid(uid) && (uid.starts_with(DICOM_ROOT) || WELL_KNOWN_CODING_SCHEMES.contains(&uid))
}
