//! LINEMODE negotiation always settles: a client and a server `Linemode`, each fed the
//! other's payloads, go quiet within a few rounds and then agree on the mode, on every
//! SLC function and on the forward mask, whatever their tables, modes and options, and
//! whatever either side asks for while messages are still in flight.

use std::collections::VecDeque;

use proptest::prelude::*;
use telnetlib::proto::linemode::{
    ForwardMask, Level, Linemode, ModeMask, NSLC, Outcome, SlcTable, SlcTriplet,
};

/// Rounds (every queued payload delivered both ways) a negotiation may take to go quiet
/// once nobody asks for anything new. The deepest chain is a mode or forward mask
/// request and its answer next to an SLC `DEFAULT` answered down three levels to an ACK.
const MAX_QUIET_ROUNDS: usize = 6;

/// Something either side asks for, in the middle of a negotiation.
#[derive(Debug, Clone)]
enum Action {
    Mode(u8),
    Slc(SlcTriplet),
    Import,
    Request,
    Export,
    Mask(ForwardMask),
    StopMask,
}

/// One step of the scripted phase.
#[derive(Debug, Clone)]
enum Step {
    /// Deliver the oldest payload for the client (`true`) or the server (`false`).
    Deliver(bool),
    /// The client (`true`) or the server (`false`) asks for something.
    Act(bool, Action),
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![
        Just(Level::NoSupport),
        Just(Level::CantChange),
        Just(Level::Value),
        Just(Level::Default),
    ]
}

/// Characters from a small set, so that the two sides often agree and often do not.
fn character() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(0u8),
        Just(3),
        Just(8),
        Just(0x7f),
        Just(0xff),
        any::<u8>()
    ]
}

fn triplet(function: impl Strategy<Value = u8>) -> impl Strategy<Value = SlcTriplet> {
    (function, level(), any::<bool>(), any::<bool>(), character()).prop_map(
        |(function, level, flushin, flushout, value)| {
            SlcTriplet::new(function, level, value).flushing(flushin, flushout)
        },
    )
}

fn table() -> impl Strategy<Value = SlcTable> {
    prop::collection::vec(triplet(Just(0)), usize::from(NSLC)).prop_map(|triplets| {
        let mut table = SlcTable::unsupported();
        for (function, triplet) in (1..=NSLC).zip(triplets) {
            table.set(SlcTriplet {
                function,
                ..triplet
            });
        }
        table
    })
}

fn mask() -> impl Strategy<Value = ForwardMask> {
    prop::collection::vec(any::<u8>(), 0..4).prop_map(|bytes| {
        bytes
            .into_iter()
            .fold(ForwardMask::new(), ForwardMask::with)
    })
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => any::<u8>().prop_map(Action::Mode),
        4 => triplet(0u8..=NSLC + 2).prop_map(Action::Slc),
        1 => Just(Action::Import),
        1 => Just(Action::Request),
        1 => Just(Action::Export),
        1 => mask().prop_map(Action::Mask),
        1 => Just(Action::StopMask),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => any::<bool>().prop_map(Step::Deliver),
        1 => (any::<bool>(), action()).prop_map(|(client, action)| Step::Act(client, action)),
    ]
}

/// A side built on `base`: a random mode byte (for `with_modes`), its own SLC table or
/// the default, and forward masks used or not.
fn side(
    base: Linemode,
    with_modes: fn(Linemode, ModeMask) -> Linemode,
) -> impl Strategy<Value = Linemode> {
    (any::<u8>(), prop::option::of(table()), any::<bool>()).prop_map(move |(modes, table, mask)| {
        let side = with_modes(base.clone(), ModeMask(modes)).with_forwardmask(mask);
        match table {
            Some(table) => side.with_slc(table),
            None => side,
        }
    })
}

/// The two sides and the payloads in flight between them, in order.
struct Link {
    client: Linemode,
    server: Linemode,
    to_client: VecDeque<Vec<u8>>,
    to_server: VecDeque<Vec<u8>>,
}

impl Link {
    fn start(mut client: Linemode, mut server: Linemode) -> Link {
        let to_client = server.start().send.into();
        let to_server = client.start().send.into();
        Link {
            client,
            server,
            to_client,
            to_server,
        }
    }

    fn queue(&mut self, from_client: bool, outcome: Outcome) {
        let queue = if from_client {
            &mut self.to_server
        } else {
            &mut self.to_client
        };
        queue.extend(outcome.send);
    }

    fn deliver(&mut self, to_client: bool) {
        let (queue, side) = if to_client {
            (&mut self.to_client, &mut self.client)
        } else {
            (&mut self.to_server, &mut self.server)
        };
        if let Some(payload) = queue.pop_front() {
            let outcome = side.receive(&payload).expect("our own payloads parse");
            self.queue(to_client, outcome);
        }
    }

    fn act(&mut self, client: bool, action: Action) {
        let side = if client {
            &mut self.client
        } else {
            &mut self.server
        };
        let outcome = match action {
            Action::Mode(mode) => side.set_mode(ModeMask(mode)),
            Action::Slc(triplet) => side.set_slc(triplet),
            Action::Import => side.import_slc(),
            Action::Request => side.request_slc(),
            Action::Export => side.export_slc(),
            Action::Mask(mask) => side.request_forwardmask(mask),
            Action::StopMask => side.stop_forwardmask(),
        };
        self.queue(client, outcome);
    }

    /// Delivers everything in flight, both ways at once, until nothing is; returns how
    /// many rounds that took, or `None` past `limit`.
    fn settle(&mut self, limit: usize) -> Option<usize> {
        for round in 0..=limit {
            if self.to_client.is_empty() && self.to_server.is_empty() {
                return Some(round);
            }
            let for_client = std::mem::take(&mut self.to_client);
            let for_server = std::mem::take(&mut self.to_server);
            for payload in for_client {
                let outcome = self.client.receive(&payload).unwrap();
                self.queue(true, outcome);
            }
            for payload in for_server {
                let outcome = self.server.receive(&payload).unwrap();
                self.queue(false, outcome);
            }
        }
        None
    }

    fn assert_agree(&self) {
        assert_eq!(self.client.mode(), self.server.mode(), "modes differ");
        for function in 1..=NSLC {
            let (mine, theirs) = (
                self.client.slc().get(function),
                self.server.slc().get(function),
            );
            assert!(
                mine.same_setting(&theirs),
                "SLC differs: client {mine}, server {theirs}"
            );
        }
        assert_eq!(
            self.client.forwardmask(),
            self.server.forwardmask(),
            "forward masks differ"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Both start at once, then messages cross in any order while either side asks for
    /// anything; once the asking stops, they go quiet within `MAX_QUIET_ROUNDS` rounds
    /// and agree.
    #[test]
    fn negotiation_settles_and_agrees(
        client in side(Linemode::client(), Linemode::with_supported_modes),
        server in side(Linemode::server(), Linemode::with_mode),
        steps in prop::collection::vec(step(), 0..40),
    ) {
        let mut link = Link::start(client, server);
        for step in steps {
            match step {
                Step::Deliver(to_client) => link.deliver(to_client),
                Step::Act(client, action) => link.act(client, action),
            }
        }
        let rounds = link.settle(MAX_QUIET_ROUNDS);
        prop_assert!(rounds.is_some(), "still talking after {} rounds", MAX_QUIET_ROUNDS);
        link.assert_agree();
    }
}

/// Every pairing of levels for one function, each side's table otherwise empty, both
/// ways of starting a client: settled in a few rounds, and agreed.
#[test]
fn every_pair_of_levels_settles() {
    let levels = [
        Level::NoSupport,
        Level::CantChange,
        Level::Value,
        Level::Default,
    ];
    for server_level in levels {
        for client_level in levels.into_iter().map(Some).chain([None]) {
            for (server_value, client_value) in [(3, 3), (3, 8)] {
                let mut server_table = SlcTable::unsupported();
                server_table.set(SlcTriplet::new(3, server_level, server_value));
                let mut client = Linemode::client();
                if let Some(level) = client_level {
                    let mut table = SlcTable::unsupported();
                    table.set(SlcTriplet::new(3, level, client_value));
                    client = client.with_slc(table);
                }
                let mut link = Link::start(client, Linemode::server().with_slc(server_table));
                let rounds = link.settle(MAX_QUIET_ROUNDS);
                assert!(
                    rounds.is_some(),
                    "{server_level:?}/{client_level:?} did not settle"
                );
                link.assert_agree();
            }
        }
    }
}
