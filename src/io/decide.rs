//! Deciding at run time which options to agree to: the application's decider, asked
//! with the peer's address (the real client's behind a PROXY header), wrapped for the
//! engine.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use crate::proto::{Decider, Engine, Opt, Side};

/// A peer's request the application decides on: the peer offers to perform `opt`
/// (`side` is `Remote`, its `WILL`) or asks us to (`Local`, its `DO`). Only requests
/// for an option that is off are asked about; answers to our own requests are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OptionRequest {
    /// Whose side of the option would be enabled.
    pub side: Side,
    /// The option.
    pub opt: Opt,
    /// The peer: the real client behind a load balancer's PROXY header.
    pub peer: Option<SocketAddr>,
}

/// The application's decision: `Some(true)` agrees, `Some(false)` refuses, `None`
/// leaves the request to the policy.
type Decide = dyn Fn(&OptionRequest) -> Option<bool> + Send + Sync;

/// The application's decider.
#[derive(Clone)]
pub(crate) struct OptionDecider(pub Arc<Decide>);

impl std::fmt::Debug for OptionDecider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OptionDecider")
    }
}

/// Puts `decider` to work in `engine` for a connection whose socket's peer is
/// `socket_peer` and whose real client, if a PROXY header names one, lands in
/// `proxied`. On a connection that may carry TLS, compression stays refused whatever
/// the decider says (compressing beside secrets leaks them: CRIME, BREACH).
pub(crate) fn install(
    engine: &mut Engine,
    decider: &OptionDecider,
    socket_peer: Option<SocketAddr>,
    proxied: &Arc<OnceLock<SocketAddr>>,
    tls: bool,
) {
    let decide = Arc::clone(&decider.0);
    let proxied = Arc::clone(proxied);
    engine.set_decider(Some(Decider::new(move |side, opt| {
        if tls && matches!(opt, Opt::MCCP2 | Opt::MCCP3) {
            return Some(false);
        }
        let peer = proxied.get().copied().or(socket_peer);
        decide(&OptionRequest { side, opt, peer })
    })));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Policy;

    fn answer_to_do(opt: Opt, tls: bool) -> Vec<u8> {
        let mut engine = Engine::new(Policy::server());
        let yes = OptionDecider(Arc::new(|_: &OptionRequest| Some(true)));
        install(&mut engine, &yes, None, &Arc::new(OnceLock::new()), tls);
        engine.receive(&[255, 253, opt.0], |_| {});
        engine.output().to_vec()
    }

    #[test]
    fn a_decider_cannot_bring_compression_over_tls() {
        assert_eq!(answer_to_do(Opt::MCCP2, false), [255, 251, Opt::MCCP2.0]);
        assert_eq!(answer_to_do(Opt::MCCP2, true), [255, 252, Opt::MCCP2.0]);
        assert_eq!(answer_to_do(Opt::MCCP3, true), [255, 252, Opt::MCCP3.0]);
        // Other options are still the decider's.
        assert_eq!(answer_to_do(Opt(200), true), [255, 251, 200]);
    }
}
