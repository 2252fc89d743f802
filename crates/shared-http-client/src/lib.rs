//! Every outbound HTTP client of the fleet starts here: reqwest with TLS by rustls on the
//! `ring` provider, trusting the Mozilla root certificates compiled in (`webpki-roots`),
//! so https works the same in a minimal container without system certificates. Building
//! clients anywhere else would leave reqwest without a crypto provider.

use std::sync::Arc;

/// A client builder with the fleet's TLS configuration; callers add their timeouts,
/// redirect policy and resolver.
pub fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_backend_preconfigured(tls_config())
}

fn tls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    #[test]
    fn builds_a_client() {
        super::builder().build().expect("client");
    }
}
