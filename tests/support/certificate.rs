//! A self-signed certificate made for a test, as PEM files.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A certificate for `localhost` and 127.0.0.1 with its key, in a directory of its
/// own that is removed when it is dropped.
pub struct Certificate {
    pub dir: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Certificate {
    pub fn new() -> Certificate {
        let made = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .unwrap();
        Certificate::write(made.cert.pem(), made.signing_key.serialize_pem())
    }

    /// A self-signed certificate marked as a CA (`basicConstraints CA:TRUE`), as
    /// `openssl req -x509` makes them by default.
    pub fn new_marked_as_ca() -> Certificate {
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Certificate::write(cert.pem(), key.serialize_pem())
    }

    /// A self-signed CA-marked certificate naming `localhost` only in its subject's
    /// common name, without subject alternative names, as `openssl req -x509 -subj
    /// /CN=localhost` makes it.
    pub fn new_common_name_only() -> Certificate {
        let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Certificate::write(cert.pem(), key.serialize_pem())
    }

    fn write(cert_pem: String, key_pem: String) -> Certificate {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "telnetlib-tls-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, cert_pem).unwrap();
        std::fs::write(&key, key_pem).unwrap();
        Certificate { dir, cert, key }
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
