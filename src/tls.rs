//! TELNETS: Telnet over TLS, with [rustls] (feature `tls`).
//!
//! Build a configuration here (or by hand with the re-exported [`rustls`]) and give it
//! to [`ServerBuilder::tls`](crate::ServerBuilder::tls) or
//! [`ClientBuilder::tls`](crate::ClientBuilder::tls). Nothing else changes: whoever
//! reads the socket (a caller waiting for input, or the poller) runs the handshake,
//! and what you write before it completes is sent as soon as it does. A server
//! neither starts its negotiation nor hands the connection out before the handshake
//! has finished (within 10 s, or the connection is closed). MCCP compression is
//! refused on TLS connections (compressing secrets beside attacker-chosen text leaks
//! them: CRIME, BREACH).
//!
//! ```no_run
//! use telnetlib::tls::{self, Roots};
//! use telnetlib::{TelnetConnection, TelnetServer};
//!
//! let server = TelnetServer::builder()
//!     .tls(tls::server_config("cert.pem", "key.pem")?)
//!     .bind("127.0.0.1:6992")?;
//! let conn = TelnetConnection::builder()
//!     .tls(tls::client_config(Roots::PemFile("cert.pem".into()))?, "localhost")
//!     .connect(server.local_addr())?;
//! # Ok::<(), telnetlib::Error>(())
//! ```

mod subject;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use rustls;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use crate::error::{Error, Result};

pub use crate::io::TlsInfo;

/// Which certificates a client trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Roots {
    /// The operating system's certificate store.
    System,
    /// The certificates in a PEM file: a private CA, or a server's self-signed
    /// certificate. A server that presents one of the file's certificates as its own
    /// is trusted even when the certificate says it is a CA, as `openssl req -x509`
    /// makes them by default and as OpenSSL, hence telnetlib3, accepts. Its name is
    /// still checked: against its subject alternative names, or, when it has none
    /// (`openssl req -x509 -subj /CN=host` without `-addext`), its subject's common
    /// name, as OpenSSL does. Its validity dates are not checked (the file vouches
    /// for it as it is).
    PemFile(PathBuf),
    /// Any certificate at all, without checking it or the name: **for test rigs
    /// only**, since anyone on the path can then read and change the session.
    NoVerify,
}

/// A server configuration from a PEM certificate chain (the server's certificate
/// first) and its PEM private key (PKCS#8, PKCS#1 or SEC1).
pub fn server_config(
    cert_chain: impl AsRef<Path>,
    private_key: impl AsRef<Path>,
) -> Result<Arc<ServerConfig>> {
    let certs = read_certificates(cert_chain.as_ref())?;
    let key = PrivateKeyDer::from_pem_file(private_key.as_ref())
        .map_err(|error| invalid(private_key.as_ref(), error))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(tls_error)?;
    Ok(Arc::new(config))
}

/// A client configuration trusting `roots`.
pub fn client_config(roots: Roots) -> Result<Arc<ClientConfig>> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?;
    let config = match roots {
        Roots::NoVerify => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(
                provider().signature_verification_algorithms,
            )))
            .with_no_client_auth(),
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                log::warn!("system certificate store: {error}");
            }
            let mut store = RootCertStore::empty();
            let (added, ignored) = store.add_parsable_certificates(found.certs);
            log::debug!("{added} system roots loaded, {ignored} unparsable ones ignored");
            builder.with_root_certificates(store).with_no_client_auth()
        }
        Roots::PemFile(path) => {
            let certificates = read_certificates(&path)?;
            let mut store = RootCertStore::empty();
            for cert in &certificates {
                store
                    .add(cert.clone())
                    .map_err(|error| invalid(&path, format!("{error}")))?;
            }
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
                .build()
                .map_err(|error| invalid(&path, error))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(FileRoots {
                    webpki,
                    certificates,
                }))
                .with_no_client_auth()
        }
    };
    Ok(Arc::new(config))
}

/// The name a client checks the server's certificate against, from a host name or an
/// IP address.
pub(crate) fn server_name(name: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(name.to_owned()).map_err(|error| Error::InvalidInput {
        message: format!("TLS server name {name:?}: {error}"),
    })
}

/// aws-lc-rs (rustls' own default, with the post-quantum X25519MLKEM768 key
/// exchange), named explicitly so a program that also links another provider still
/// works.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|error| invalid(path, error))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|error| invalid(path, error))?;
    if certs.is_empty() {
        return Err(invalid(path, "no certificate in it"));
    }
    Ok(certs)
}

fn invalid(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::InvalidInput {
        message: format!("{}: {error}", path.display()),
    }
}

fn tls_error(error: rustls::Error) -> Error {
    Error::InvalidInput {
        message: format!("TLS configuration: {error}"),
    }
}

/// Trusts a PEM file's certificates: as roots of a chain, checked by webpki, or,
/// when the server presents one of them as its own, as that server's certificate.
/// webpki alone refuses the second when the certificate is marked as a CA
/// (`CaUsedAsEndEntity`), which is how ordinary self-signed certificates are made.
#[derive(Debug)]
struct FileRoots {
    webpki: Arc<WebPkiServerVerifier>,
    certificates: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for FileRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let chain_error = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(error) => error,
        };
        if !self.certificates.iter().any(|known| known == end_entity) {
            return Err(chain_error);
        }
        match verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name) {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            // No alternative names at all: the subject's common name is the name, as
            // OpenSSL (and so Python, telnetlib3) takes it.
            Err(_) if common_name_matches(end_entity, server_name) => {
                Ok(ServerCertVerified::assertion())
            }
            Err(error) => Err(error),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Whether a certificate without subject alternative names has `name` as its
/// subject's common name (exactly, ignoring ASCII case; no wildcards).
fn common_name_matches(certificate: &CertificateDer<'_>, name: &ServerName<'_>) -> bool {
    if subject::has_alt_names(certificate) != Some(false) {
        return false;
    }
    let Some(common_name) = subject::common_name(certificate) else {
        return false;
    };
    match name {
        ServerName::DnsName(dns) => common_name.eq_ignore_ascii_case(dns.as_ref()),
        ServerName::IpAddress(ip) => common_name == std::net::IpAddr::from(*ip).to_string(),
        _ => false,
    }
}

/// Accepts every certificate; signatures are still checked, so the handshake itself
/// is sound (it only proves nothing about who the server is).
#[derive(Debug)]
struct NoVerification(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
