//! Replacement values: dummies per VR, shifted dates and times.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use dicom_core::{PrimitiveValue, VR};

/// Free-text cleaning moved to [`crate::scrub`]; re-exported for the engine.
pub(crate) use crate::scrub::Scrubber;

/// The dummy text used for D on text VRs.
pub(crate) const DUMMY_TEXT: &str = "ANONYMIZED";

/// A dummy value for `vr` with `vm` values (at least one): "consistent with
/// the VR" (PS3.15 E.1.1), and valid for any length limit of the VR.
pub(crate) fn dummy(vr: VR, vm: usize) -> PrimitiveValue {
    let n = vm.max(1);
    let strs = |s: &str| PrimitiveValue::Strs(std::iter::repeat_n(s.to_owned(), n).collect());
    match vr {
        VR::AE => strs("ANONYMOUS"),
        VR::AS => strs("000Y"),
        VR::CS => strs("ANONYMIZED"),
        VR::DA => strs("19000101"),
        VR::DT => strs("19000101000000"),
        VR::TM => strs("000000"),
        VR::DS | VR::IS => strs("0"),
        VR::UR => PrimitiveValue::from("urn:radguard:anonymized"),
        VR::UI => strs("2.25.0"),
        VR::LT | VR::ST | VR::UT => PrimitiveValue::from(DUMMY_TEXT),
        VR::US => PrimitiveValue::U16(std::iter::repeat_n(0, n).collect()),
        VR::SS => PrimitiveValue::I16(std::iter::repeat_n(0, n).collect()),
        VR::UL => PrimitiveValue::U32(std::iter::repeat_n(0, n).collect()),
        VR::SL => PrimitiveValue::I32(std::iter::repeat_n(0, n).collect()),
        VR::UV => PrimitiveValue::U64(std::iter::repeat_n(0, n).collect()),
        VR::SV => PrimitiveValue::I64(std::iter::repeat_n(0, n).collect()),
        VR::FL => PrimitiveValue::F32(std::iter::repeat_n(0.0, n).collect()),
        VR::FD => PrimitiveValue::F64(std::iter::repeat_n(0.0, n).collect()),
        VR::AT => PrimitiveValue::Tags(std::iter::repeat_n(dicom_core::Tag(0, 0), n).collect()),
        VR::OW => PrimitiveValue::U16([0].into_iter().collect()),
        VR::OF => PrimitiveValue::F32([0.0].into_iter().collect()),
        VR::OD => PrimitiveValue::F64([0.0].into_iter().collect()),
        VR::OL => PrimitiveValue::U32([0].into_iter().collect()),
        VR::OV => PrimitiveValue::U64([0].into_iter().collect()),
        VR::OB | VR::UN => PrimitiveValue::U8([0, 0].into_iter().collect()),
        // LO, SH, PN, UC and anything else textual.
        _ => strs(DUMMY_TEXT),
    }
}

/// `true` for VRs holding free text or names.
pub(crate) fn is_text_vr(vr: VR) -> bool {
    matches!(
        vr,
        VR::LO | VR::SH | VR::LT | VR::ST | VR::UT | VR::UC | VR::PN
    )
}

/// `true` for date and time VRs.
pub(crate) fn is_temporal_vr(vr: VR) -> bool {
    matches!(vr, VR::DA | VR::DT | VR::TM)
}

/// A date/time offset: whole days plus seconds in `0..86400`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Offset {
    pub(crate) days: i64,
    pub(crate) secs: i64,
}

impl Offset {
    fn duration(self) -> Duration {
        Duration::days(self.days) + Duration::seconds(self.secs)
    }
}

fn parse_da(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    // YYYYMMDD, or the retired ACR-NEMA form YYYY.MM.DD.
    if !(s.len() == 8 && digits.len() == 8
        || s.len() == 10 && digits.len() == 8 && s.as_bytes()[4] == b'.')
    {
        return None;
    }
    NaiveDate::parse_from_str(&digits, "%Y%m%d").ok()
}

/// A time of day with the number of components it was written with.
struct Tm {
    secs: u32,
    frac: Option<String>,
    parts: usize,
}

fn parse_tm(s: &str) -> Option<Tm> {
    let s = s.trim();
    let (main, frac) = match s.split_once('.') {
        Some((m, f)) if !f.is_empty() && f.len() <= 6 && f.bytes().all(|b| b.is_ascii_digit()) => {
            (m, Some(f.to_owned()))
        }
        Some(_) => return None,
        None => (s, None),
    };
    let main: String = main.chars().filter(|c| *c != ':').collect();
    if !main.bytes().all(|b| b.is_ascii_digit()) || !matches!(main.len(), 2 | 4 | 6) {
        return None;
    }
    let num = |i: usize| main.get(i..i + 2).and_then(|x| x.parse::<u32>().ok());
    let h = num(0)?;
    let m = if main.len() >= 4 { num(2)? } else { 0 };
    let sec = if main.len() == 6 { num(4)? } else { 0 };
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    if frac.is_some() && main.len() != 6 {
        return None;
    }
    Some(Tm {
        secs: h * 3600 + m * 60 + sec.min(59),
        frac,
        parts: main.len() / 2,
    })
}

fn format_tm(secs: u32, parts: usize, frac: Option<&str>) -> String {
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let mut out = match parts {
        1 => format!("{h:02}"),
        2 => format!("{h:02}{m:02}"),
        _ => format!("{h:02}{m:02}{s:02}"),
    };
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Shifts a DA value alone.
pub(crate) fn shift_da(v: &str, off: Offset) -> Option<String> {
    let d = parse_da(v)?;
    Some((d + Duration::days(off.days)).format("%Y%m%d").to_string())
}

/// Shifts a TM value alone (by the seconds part, wrapping at midnight, as
/// it would be with its date).
pub(crate) fn shift_tm(v: &str, off: Offset) -> Option<String> {
    let t = parse_tm(v)?;
    let secs = (i64::from(t.secs) + off.secs).rem_euclid(86_400);
    Some(format_tm(
        u32::try_from(secs).ok()?,
        t.parts,
        t.frac.as_deref(),
    ))
}

/// Shifts a DA and its TM together, carrying across midnight.
pub(crate) fn shift_da_tm(da: &str, tm: &str, off: Offset) -> Option<(String, String)> {
    let d = parse_da(da)?;
    let t = parse_tm(tm)?;
    let time = NaiveTime::from_num_seconds_from_midnight_opt(t.secs, 0)?;
    let shifted = NaiveDateTime::new(d, time) + off.duration();
    Some((
        shifted.format("%Y%m%d").to_string(),
        format_tm(
            shifted.time().num_seconds_from_midnight(),
            t.parts,
            t.frac.as_deref(),
        ),
    ))
}

/// Shifts a DT value, keeping its precision and any UTC offset suffix.
pub(crate) fn shift_dt(v: &str, off: Offset) -> Option<String> {
    let v = v.trim();
    let (body, tz) = match v.find(['+', '-']) {
        Some(i) if i >= 4 => (&v[..i], &v[i..]),
        _ => (v, ""),
    };
    if !tz.is_empty() && (tz.len() != 5 || !tz[1..].bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (main, frac) = match body.split_once('.') {
        Some((m, f)) if !f.is_empty() && f.len() <= 6 && f.bytes().all(|b| b.is_ascii_digit()) => {
            (m, Some(f))
        }
        Some(_) => return None,
        None => (body, None),
    };
    if !main.bytes().all(|b| b.is_ascii_digit()) || !matches!(main.len(), 4 | 6 | 8 | 10 | 12 | 14)
    {
        return None;
    }
    if frac.is_some() && main.len() != 14 {
        return None;
    }
    // Fill missing components with their first value, shift, then keep the
    // original precision.
    let full = if main.len() < 8 {
        // YYYY or YYYYMM: month and day default to 01.
        let pad = &"0101"[(main.len() - 4)..];
        format!("{main}{pad}000000")
    } else {
        format!("{main}{}", &"000000"[..14 - main.len()])
    };
    let dt = NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S").ok()?;
    let shifted = (dt + off.duration()).format("%Y%m%d%H%M%S").to_string();
    let mut out = shifted[..main.len()].to_owned();
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out.push_str(tz);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF: Offset = Offset {
        days: -400,
        secs: 3600 * 5,
    };

    #[test]
    fn da_tm_shift_across_midnight_keeps_intervals() {
        let (d, t) = shift_da_tm("20240301", "213000", OFF).unwrap();
        // 21:30 + 5 h = 02:30 next day, minus 400 days.
        assert_eq!(t, "023000");
        let expected = (NaiveDate::from_ymd_opt(2024, 3, 2).unwrap() - Duration::days(400))
            .format("%Y%m%d")
            .to_string();
        assert_eq!(d, expected);
        // Intervals between two events survive.
        let (d1, t1) = shift_da_tm("20240301", "080000", OFF).unwrap();
        let (d2, t2) = shift_da_tm("20240302", "093015.25", OFF).unwrap();
        let p = |d: &str, t: &str| {
            NaiveDateTime::parse_from_str(&format!("{d}{}", &t[..6]), "%Y%m%d%H%M%S").unwrap()
        };
        assert_eq!(
            p(&d2, &t2) - p(&d1, &t1),
            Duration::seconds(86_400 + 3600 + 30 * 60 + 15)
        );
        assert!(t2.ends_with(".25"));
    }

    #[test]
    fn precision_is_kept() {
        assert_eq!(shift_tm("2130", OFF).unwrap(), "0230");
        assert_eq!(shift_tm("21", OFF).unwrap(), "02");
        assert_eq!(shift_tm("21:30:00", OFF).unwrap(), "023000");
        assert_eq!(
            shift_dt("20240301213000.123456+0100", OFF).unwrap().len(),
            "20240301213000.123456+0100".len()
        );
        assert!(
            shift_dt("20240301213000.123456+0100", OFF)
                .unwrap()
                .ends_with(".123456+0100")
        );
        assert_eq!(
            shift_dt(
                "2024",
                Offset {
                    days: -400,
                    secs: 0
                }
            )
            .unwrap(),
            "2022"
        );
        assert_eq!(
            shift_dt("202403", Offset { days: -31, secs: 0 }).unwrap(),
            "202401"
        );
        assert_eq!(
            shift_da("2024.03.01", Offset { days: -1, secs: 0 }).unwrap(),
            "20240229"
        );
    }

    #[test]
    fn garbage_does_not_shift() {
        for s in [
            "",
            "2024",
            "20241301",
            "abc",
            "2024030",
            "25:00",
            "12345",
            "20240101x",
        ] {
            assert!(shift_da(s, OFF).is_none(), "DA {s}");
        }
        for s in ["", "25", "2360", "1a", "12.5", "123"] {
            assert!(shift_tm(s, OFF).is_none(), "TM {s}");
        }
        for s in ["", "2024010", "x", "20240101.5", "20240101+1"] {
            assert!(shift_dt(s, OFF).is_none(), "DT {s}");
        }
    }

    #[test]
    fn dummies_are_valid_for_their_vr() {
        for vr in [
            VR::AE,
            VR::CS,
            VR::SH,
            VR::LO,
            VR::PN,
            VR::DA,
            VR::TM,
            VR::DT,
            VR::AS,
            VR::DS,
            VR::IS,
        ] {
            let v = dummy(vr, 2);
            assert_eq!(v.multiplicity(), 2, "{vr:?}");
            let s = v.to_str();
            assert!(!s.is_empty());
            let max = match vr {
                VR::AE | VR::CS | VR::SH | VR::DA | VR::DS | VR::TM => 16,
                VR::AS => 4,
                VR::IS => 12,
                VR::DT => 26,
                _ => 64,
            };
            for part in v.to_multi_str().iter() {
                assert!(part.len() <= max, "{vr:?} {part}");
            }
        }
        assert_eq!(dummy(VR::US, 3).multiplicity(), 3);
    }
}
