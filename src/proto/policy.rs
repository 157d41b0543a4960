//! Negotiation policy: per option and per side, whether we agree when the peer asks and
//! whether we ask ourselves when negotiation starts. Client and server are two policies
//! handed to the same [`Engine`](super::Engine).

use super::option::Opt;

/// One side of an option: ours or the peer's.
///
/// `Local` is RFC 1143's "us" (we `WILL` it, the peer sends `DO`/`DONT` about it);
/// `Remote` is "him" (the peer `WILL`s it, we send `DO`/`DONT` about it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The option as performed by us.
    Local,
    /// The option as performed by the peer.
    Remote,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Side::Local => "local",
            Side::Remote => "remote",
        })
    }
}

/// A set of option codes, one bit per code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct OptSet([u64; 4]);

impl OptSet {
    fn contains(&self, opt: Opt) -> bool {
        self.0[usize::from(opt.0 >> 6)] & (1 << (opt.0 & 63)) != 0
    }

    fn set(&mut self, opt: Opt, present: bool) {
        let word = &mut self.0[usize::from(opt.0 >> 6)];
        let bit = 1u64 << (opt.0 & 63);
        if present {
            *word |= bit;
        } else {
            *word &= !bit;
        }
    }

    fn iter(self) -> impl Iterator<Item = Opt> {
        (0..=255u8).map(Opt).filter(move |&opt| self.contains(opt))
    }
}

/// Which options we accept and which we request, per side.
///
/// - **accept**: when the peer asks us to enable our side (`DO x`) or offers its side
///   (`WILL x`) and we did not ask first, we agree (`WILL x` / `DO x`) only if the
///   option is accepted on that side; otherwise we refuse (`WONT x` / `DONT x`).
/// - **request**: [`Engine::start`](super::Engine::start) asks for these (`WILL x` for
///   `Local`, `DO x` for `Remote`). Requesting implies accepting.
///
/// Disabling is never refused (RFC 854: a `DONT`/`WONT` must always be honoured).
///
/// ```
/// use telnetlib::proto::{Opt, Policy, Side};
///
/// let policy = Policy::new()
///     .request(Side::Remote, Opt::NAWS)      // send DO NAWS on start
///     .accept(Side::Local, Opt::SGA);        // answer DO SGA with WILL SGA
/// assert!(policy.accepts(Side::Remote, Opt::NAWS));
/// assert!(!policy.accepts(Side::Local, Opt::ECHO));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    accept_local: OptSet,
    accept_remote: OptSet,
    request_local: OptSet,
    request_remote: OptSet,
    /// `(side, opt, other)`: `opt` is accepted only while `other` is not in effect on
    /// that side.
    exclusions: Vec<(Side, Opt, Opt)>,
}

impl Policy {
    /// A policy that requests nothing and refuses every option: the answer of a
    /// minimal NVT, and of CPython's telnetlib without an option callback.
    pub fn new() -> Policy {
        Policy::default()
    }

    /// The answers of a Telnet client, as `telnetlib3`'s client gives them,
    /// plus the RFCs telnetlib3 gets wrong or lacks: it
    /// offers BINARY, TTYPE, NAWS, TSPEED, XDISPLOC, NEW_ENVIRON, OLD_ENVIRON, CHARSET,
    /// LFLOW, EOR, STATUS and TM when asked, lets the server perform BINARY, ECHO,
    /// SGA, EOR, CHARSET, STATUS, GMCP, MSDP, MSSP, ZMP and the two MCCP compressions
    /// (accepted passively, as MUD clients do), refuses `DO ECHO`, refuses MSP, MXP
    /// and ATCP (their markup would show as text to an application that does not
    /// expect it: accept them with [`Policy::accept`]), refuses every option
    /// it does not know, and requests nothing on start.
    pub fn client() -> Policy {
        let mut policy = Policy::new();
        for opt in [
            Opt::BINARY,
            Opt::TTYPE,
            Opt::NAWS,
            Opt::TSPEED,
            Opt::XDISPLOC,
            Opt::NEW_ENVIRON,
            Opt::CHARSET,
            Opt::LFLOW,
            Opt::EOR,
            Opt::TM,
            Opt::STATUS,
            Opt::OLD_ENVIRON,
        ] {
            policy = policy.accept(Side::Local, opt);
        }
        for opt in [
            Opt::BINARY,
            Opt::ECHO,
            Opt::SGA,
            Opt::EOR,
            Opt::CHARSET,
            Opt::STATUS,
            Opt::GMCP,
            Opt::MSDP,
            Opt::MSSP,
            Opt::ZMP,
            Opt::MCCP2,
            Opt::MCCP3,
        ] {
            policy = policy.accept(Side::Remote, opt);
        }
        // As BSD clients do: OLD-ENVIRON only for a server without NEW_ENVIRON.
        // inetutils telnetd asks for both and, given both, waits for an OLD-ENVIRON
        // answer it never requests.
        policy.accept_unless(Side::Local, Opt::OLD_ENVIRON, Opt::NEW_ENVIRON)
    }

    /// The answers of a Telnet server, as `telnetlib3`'s server gives them: it requests only TTYPE on start (`IAC DO TTYPE`), performs SGA,
    /// ECHO, BINARY, EOR, CHARSET, STATUS and TM when asked, lets the client perform
    /// TTYPE, NAWS, NEW_ENVIRON, OLD_ENVIRON, CHARSET, BINARY, TSPEED, XDISPLOC,
    /// SNDLOC, LFLOW, SGA, EOR and STATUS, and
    /// refuses the client-only options on its own side (`DO TTYPE` gets `WONT TTYPE`).
    pub fn server() -> Policy {
        let mut policy = Policy::new().request(Side::Remote, Opt::TTYPE);
        for opt in [
            Opt::SGA,
            Opt::ECHO,
            Opt::BINARY,
            Opt::EOR,
            Opt::CHARSET,
            Opt::TM,
            Opt::STATUS,
        ] {
            policy = policy.accept(Side::Local, opt);
        }
        for opt in [
            Opt::NAWS,
            Opt::NEW_ENVIRON,
            Opt::CHARSET,
            Opt::BINARY,
            Opt::TSPEED,
            Opt::XDISPLOC,
            Opt::LFLOW,
            Opt::SGA,
            Opt::EOR,
            Opt::STATUS,
            Opt::SNDLOC,
            Opt::OLD_ENVIRON,
        ] {
            policy = policy.accept(Side::Remote, opt);
        }
        policy
    }

    fn sets(&mut self, side: Side) -> (&mut OptSet, &mut OptSet) {
        match side {
            Side::Local => (&mut self.accept_local, &mut self.request_local),
            Side::Remote => (&mut self.accept_remote, &mut self.request_remote),
        }
    }

    /// Agree when the peer asks for `opt` on `side`.
    pub fn accept(mut self, side: Side, opt: Opt) -> Policy {
        self.sets(side).0.set(opt, true);
        self
    }

    /// Refuse when the peer asks for `opt` on `side`, and do not request it on start.
    pub fn refuse(mut self, side: Side, opt: Opt) -> Policy {
        let (accept, request) = self.sets(side);
        accept.set(opt, false);
        request.set(opt, false);
        self
    }

    /// Request `opt` on `side` when negotiation starts, and accept it when asked.
    pub fn request(mut self, side: Side, opt: Opt) -> Policy {
        let (accept, request) = self.sets(side);
        accept.set(opt, true);
        request.set(opt, true);
        self
    }

    /// Accepts `opt` on `side`, but only while `other` is not in effect on that side
    /// (the engine checks when the request arrives): a preference between an option
    /// and its older form.
    pub fn accept_unless(mut self, side: Side, opt: Opt, other: Opt) -> Policy {
        self = self.accept(side, opt);
        self.exclusions.push((side, opt, other));
        self
    }

    /// The option whose being in effect makes us refuse `opt` on `side`, if any.
    pub fn excluded_by(&self, side: Side, opt: Opt) -> Option<Opt> {
        self.exclusions
            .iter()
            .find(|(s, o, _)| *s == side && *o == opt)
            .map(|(_, _, other)| *other)
    }

    /// Whether we agree when the peer asks for `opt` on `side`.
    pub fn accepts(&self, side: Side, opt: Opt) -> bool {
        match side {
            Side::Local => self.accept_local.contains(opt),
            Side::Remote => self.accept_remote.contains(opt),
        }
    }

    /// Whether we request `opt` on `side` when negotiation starts.
    pub fn requests(&self, side: Side, opt: Opt) -> bool {
        match side {
            Side::Local => self.request_local.contains(opt),
            Side::Remote => self.request_remote.contains(opt),
        }
    }

    /// The options requested on `side` when negotiation starts, in code order.
    pub fn requested(&self, side: Side) -> impl Iterator<Item = Opt> + use<> {
        match side {
            Side::Local => self.request_local.iter(),
            Side::Remote => self.request_remote.iter(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_policy_refuses_everything() {
        let policy = Policy::new();
        for code in 0..=255u8 {
            assert!(!policy.accepts(Side::Local, Opt(code)));
            assert!(!policy.accepts(Side::Remote, Opt(code)));
        }
    }

    #[test]
    fn request_implies_accept_and_refuse_clears_both() {
        let policy = Policy::new().request(Side::Local, Opt(200));
        assert!(policy.accepts(Side::Local, Opt(200)));
        assert_eq!(
            policy.requested(Side::Local).collect::<Vec<_>>(),
            [Opt(200)]
        );
        let policy = policy.refuse(Side::Local, Opt(200));
        assert!(!policy.accepts(Side::Local, Opt(200)));
        assert_eq!(policy.requested(Side::Local).count(), 0);
    }

    #[test]
    fn client_and_server_refuse_the_wrong_direction() {
        assert!(!Policy::server().accepts(Side::Local, Opt::TTYPE));
        assert!(!Policy::client().accepts(Side::Remote, Opt::NAWS));
        assert!(!Policy::client().accepts(Side::Local, Opt::ECHO));
        assert_eq!(
            Policy::server().requested(Side::Remote).collect::<Vec<_>>(),
            [Opt::TTYPE]
        );
    }
}
