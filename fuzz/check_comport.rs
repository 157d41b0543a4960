//! The COM-PORT-OPTION codec's fuzz check, shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/comport.rs`) and the corpus replay (`tests/all/fuzz_corpus.rs`).
//!
//! The whole input is one subnegotiation payload. Checked: [`comport::decode`] never
//! panics; what it accepts, [`comport::encode`] gives back byte for byte (the encoding is
//! canonical, so this holds for every input) and the re-encoded message decodes to the
//! same thing; what it refuses has an error that matches the input (no command code only
//! for an empty payload, an unknown code only outside 0–12 and 100–112, a signature too
//! long only past [`comport::MAX_SIGNATURE`]) and a message; and the payload framed by an
//! engine (0xFF doubled) is received by another engine as exactly the payload.

use telnetlib::proto::comport::{self, ComPortError};
use telnetlib::proto::{DEFAULT_MAX_SUBNEGOTIATION, Engine, Event, Opt, Policy};

/// Runs the checks on one fuzz input.
pub fn check(input: &[u8]) {
    match comport::decode(input) {
        Ok((sender, command)) => {
            let encoded = comport::encode(sender, &command);
            assert_eq!(
                encoded, input,
                "decoded {sender:?} {command:?} re-encodes otherwise"
            );
            assert_eq!(
                comport::decode(&encoded),
                Ok((sender, command)),
                "re-encoded message decodes otherwise"
            );
        }
        Err(error) => {
            assert!(!error.to_string().is_empty(), "error without a message");
            let code = input.first().copied();
            match error {
                ComPortError::Empty => assert!(input.is_empty(), "Empty for {input:?}"),
                ComPortError::UnknownCommand(c) => {
                    assert_eq!(Some(c), code);
                    assert!(matches!(c, 13..=99 | 113..=255), "known code {c} refused");
                }
                ComPortError::SignatureTooLong { len } => {
                    assert!(
                        matches!(code, Some(0 | 100)),
                        "signature error for {code:?}"
                    );
                    assert!(len > comport::MAX_SIGNATURE && len + 1 == input.len());
                }
                ComPortError::WrongLength { command, len } => {
                    assert_eq!(Some(command), code);
                    assert_eq!(len + 1, input.len());
                }
                ComPortError::UnknownValue { command, value } => {
                    assert_eq!(input, [command, value]);
                }
                other => panic!("unexpected error {other:?}"),
            }
        }
    }

    if input.len() > DEFAULT_MAX_SUBNEGOTIATION {
        return;
    }
    let mut sender = Engine::new(Policy::new());
    sender.send_subnegotiation(Opt::COM_PORT, input);
    let wire = sender.take_output();
    let mut received = Vec::new();
    Engine::new(Policy::new()).receive(&wire, |event| match event {
        Event::Subnegotiation { opt, data } => {
            assert_eq!(opt, Opt::COM_PORT);
            received.push(data.to_vec());
        }
        other => panic!("framed payload produced {other:?}"),
    });
    assert_eq!(received, [input], "framing round trip");
}
