//! Which addresses an outbound request made on a client's behalf may reach: a scrape's
//! page, a registered system's health URL. Link-local and cloud-metadata addresses are
//! never allowed: from inside a cloud they hand out the machine's credentials. Loopback
//! and private ranges are allowed by default (the dashboard registers and scrapes local
//! services) and refused when a deployment says so.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Metadata services reached by name.
const METADATA_NAMES: [&str; 3] = [
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.internal",
];

/// AWS's IPv6 metadata endpoint; its IPv4 one (169.254.169.254) is link-local.
const AWS_METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
/// Alibaba Cloud's metadata endpoint, outside the link-local range.
const ALIBABA_METADATA: Ipv4Addr = Ipv4Addr::new(100, 100, 100, 200);

/// Why a target was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Link-local or a cloud metadata service: never reachable through the fleet.
    Metadata,
    /// Loopback, private or otherwise internal, with private targets denied.
    Private,
}

impl Refusal {
    /// A sentence for the client's field error.
    pub fn message(self) -> &'static str {
        match self {
            Self::Metadata => "URL must not target a link-local or cloud metadata address",
            Self::Private => "URL must not target a loopback or private address here",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetRule {
    pub deny_private: bool,
}

impl TargetRule {
    /// Checks a URL's host as written (a name or an IP literal, brackets allowed). A
    /// name is only checked as a name: callers that resolve it check the addresses too.
    pub fn check_host(&self, host: &str) -> Result<(), Refusal> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self.check_ip(ip);
        }
        let name = bare.trim_end_matches('.').to_ascii_lowercase();
        if METADATA_NAMES.contains(&name.as_str()) {
            return Err(Refusal::Metadata);
        }
        let local_name = name == "localhost" || name.ends_with(".localhost");
        if self.deny_private && local_name {
            return Err(Refusal::Private);
        }
        Ok(())
    }

    /// Checks an address, as written or as a name resolved to.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refusal> {
        let ip = ip.to_canonical();
        if is_metadata(ip) {
            return Err(Refusal::Metadata);
        }
        if self.deny_private && is_internal(ip) {
            return Err(Refusal::Private);
        }
        Ok(())
    }
}

fn is_metadata(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4 == ALIBABA_METADATA,
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80 || v6 == AWS_METADATA_V6,
    }
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_unspecified()
                || v4.is_broadcast()
                // 100.64.0.0/10, carrier-grade NAT: internal to a provider's network.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xfe00) == 0xfc00
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_link_local_are_always_refused() {
        let rule = TargetRule::default();
        for host in [
            "169.254.169.254",
            "169.254.0.1",
            "[fd00:ec2::254]",
            "fe80::1",
            "100.100.100.200",
            "metadata.google.internal",
            "METADATA.GOOGLE.INTERNAL.",
            "[::ffff:169.254.169.254]",
        ] {
            assert_eq!(rule.check_host(host), Err(Refusal::Metadata), "{host}");
        }
    }

    #[test]
    fn private_targets_pass_unless_denied() {
        let open = TargetRule::default();
        let closed = TargetRule { deny_private: true };
        for host in [
            "localhost",
            "127.0.0.1",
            "10.0.0.5",
            "192.168.1.10",
            "172.16.0.1",
            "[::1]",
            "fd12::1",
            "app.localhost",
        ] {
            assert_eq!(open.check_host(host), Ok(()), "{host}");
            assert_eq!(closed.check_host(host), Err(Refusal::Private), "{host}");
        }
        for host in ["example.com", "8.8.8.8", "[2606:4700::1111]", "intranet"] {
            assert_eq!(closed.check_host(host), Ok(()), "{host}");
        }
    }
}
