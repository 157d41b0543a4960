//! The two facts of a certificate that OpenSSL's host name check uses and webpki
//! does not expose: whether it names any subject alternative names, and its
//! subject's common name. Read from the DER with a small bounded walker: a malformed
//! certificate gives `None`, never a panic.

/// `2.5.4.3`, id-at-commonName.
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
/// `2.5.29.17`, id-ce-subjectAltName.
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
/// `[0] EXPLICIT Version` and `[3] EXPLICIT Extensions` of a TBSCertificate.
const VERSION: u8 = 0xa0;
const EXTENSIONS: u8 = 0xa3;

/// One DER element: its tag, its contents, and what follows it.
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |n, &b| (n << 8) | usize::from(b));
        (length, &rest[count..])
    };
    if rest.len() < length {
        return None;
    }
    Some((tag, &rest[..length], &rest[length..]))
}

/// The elements of a constructed value's contents, in order.
fn elements(mut contents: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (tag, value, rest) = element(contents)?;
        contents = rest;
        Some((tag, value))
    })
}

/// The TBSCertificate's fields after the optional version: serial number,
/// signature algorithm, issuer, validity, subject, key, then optional ones.
fn tbs_fields(certificate: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let (SEQUENCE, certificate, _) = element(certificate)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = element(certificate)? else {
        return None;
    };
    let mut fields: Vec<(u8, &[u8])> = elements(tbs).collect();
    if fields.first().is_some_and(|(tag, _)| *tag == VERSION) {
        fields.remove(0);
    }
    (fields.len() >= 6).then_some(fields)
}

/// Whether the certificate has a subjectAltName extension; `None` if it cannot be
/// read.
pub(super) fn has_alt_names(certificate: &[u8]) -> Option<bool> {
    let fields = tbs_fields(certificate)?;
    let Some((_, extensions)) = fields.iter().find(|(tag, _)| *tag == EXTENSIONS) else {
        return Some(false);
    };
    let (SEQUENCE, list, _) = element(extensions)? else {
        return None;
    };
    Some(elements(list).any(|(tag, extension)| {
        tag == SEQUENCE
            && elements(extension)
                .next()
                .is_some_and(|(tag, oid)| tag == OID && oid == SUBJECT_ALT_NAME)
    }))
}

/// The subject's (last) common name, if it is text.
pub(super) fn common_name(certificate: &[u8]) -> Option<String> {
    let fields = tbs_fields(certificate)?;
    let (SEQUENCE, subject) = fields[4] else {
        return None;
    };
    let mut found = None;
    for (tag, names) in elements(subject) {
        if tag != SET {
            continue;
        }
        for (tag, pair) in elements(names) {
            let mut parts = elements(pair);
            let (Some((OID, oid)), Some((_, value))) = (parts.next(), parts.next()) else {
                continue;
            };
            if tag == SEQUENCE && oid == COMMON_NAME {
                found = std::str::from_utf8(value).ok().map(str::to_owned);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made(alt_names: Vec<String>, common_name: &str) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::new(alt_names).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn alt_names_and_the_common_name_are_read() {
        let with_alt = made(vec!["localhost".to_owned()], "Some Name");
        assert_eq!(has_alt_names(&with_alt), Some(true));
        assert_eq!(common_name(&with_alt).as_deref(), Some("Some Name"));
        let without = made(Vec::new(), "localhost");
        assert_eq!(has_alt_names(&without), Some(false));
        assert_eq!(common_name(&without).as_deref(), Some("localhost"));
    }

    #[test]
    fn malformed_certificates_give_nothing_and_never_panic() {
        let good = made(Vec::new(), "localhost");
        for cut in 0..good.len() {
            assert_eq!(has_alt_names(&good[..cut]), None, "cut at {cut}");
            let _ = common_name(&good[..cut]);
        }
        assert_eq!(has_alt_names(b"\x30\x84\xff\xff\xff\xff"), None);
        assert_eq!(common_name(&[0xff; 64]), None);
    }
}
