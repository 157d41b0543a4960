//! The MUD protocols: GMCP, MSDP, MSSP, ZMP and ATCP messages both ways.

use super::{Connection, Kind};
use crate::proto::{Opt, gmcp, msdp, zmp};
use crate::timeout::Timeout;

impl<K: Kind> Connection<K> {
    /// Sends a GMCP message, `package` then the JSON text if any (`Room.Info
    /// {"num":1}`); `Err(Refused)` if the peer declined GMCP, `Err(NotAgreed)` until agreed.
    pub fn send_gmcp(&self, package: &str, json: Option<&str>) -> crate::Result<()> {
        let payload = gmcp::encode(package, json);
        self.core().send_mud("send_gmcp", Opt::GMCP, &payload)
    }

    /// The next GMCP message received: `(package, JSON text)`, oldest first (up
    /// to 1,024 are kept unread).
    pub fn read_gmcp(&self, timeout: impl Into<Timeout>) -> crate::Result<(String, String)> {
        self.core().read_gmcp(timeout.into())
    }

    /// Sends MSDP variables; `Err(Refused)` if declined, `Err(NotAgreed)` until agreed.
    pub fn send_msdp(&self, variables: &[(String, msdp::Value)]) -> crate::Result<()> {
        let payload = msdp::encode(variables);
        self.core().send_mud("send_msdp", Opt::MSDP, &payload)
    }

    /// Sends an MSDP command (`LIST`, `REPORT`, `SEND`, `UNREPORT`, `RESET`) with
    /// its arguments; `Err(Refused)` if declined, `Err(NotAgreed)` until agreed.
    pub fn send_msdp_command(
        &self,
        command: msdp::Command,
        arguments: &[&str],
    ) -> crate::Result<()> {
        let payload = msdp::command(command, arguments);
        self.core()
            .send_mud("send_msdp_command", Opt::MSDP, &payload)
    }

    /// The next MSDP message received (its variables), oldest first.
    pub fn read_msdp(
        &self,
        timeout: impl Into<Timeout>,
    ) -> crate::Result<Vec<(String, msdp::Value)>> {
        self.core().read_msdp(timeout.into())
    }

    /// The MSSP variables last received, each with its values.
    pub fn mssp(&self) -> Option<Vec<(String, Vec<String>)>> {
        self.core().lock().link.options.mssp.clone()
    }

    /// Sends a ZMP command with its arguments (`send_zmp("zmp.ident",
    /// &["MyMud", "1.0"])`); `Err(Refused)` if declined, `Err(NotAgreed)` until agreed.
    pub fn send_zmp(&self, command: &str, args: &[&str]) -> crate::Result<()> {
        let payload = zmp::encode(command, args);
        self.core().send_mud("send_zmp", Opt::ZMP, &payload)
    }

    /// The next ZMP message received, `[command, arg, …]`, oldest first (up to
    /// 1,024 are kept unread). The core requests (`zmp.ping`, `zmp.check`) are
    /// answered before they are queued.
    pub fn read_zmp(&self, timeout: impl Into<Timeout>) -> crate::Result<Vec<String>> {
        self.core().read_zmp(timeout.into())
    }

    /// Sends an ATCP message, `package` then a space and `value` if any
    /// (`Room.Num 6008`); `Err(Refused)` if declined, `Err(NotAgreed)` until agreed.
    pub fn send_atcp(&self, package: &str, value: Option<&str>) -> crate::Result<()> {
        let payload = gmcp::encode(package, value);
        self.core().send_mud("send_atcp", Opt::ATCP, &payload)
    }

    /// The next ATCP message received: `(package, value)`, oldest first (up to
    /// 1,024 are kept unread).
    pub fn read_atcp(&self, timeout: impl Into<Timeout>) -> crate::Result<(String, String)> {
        self.core().read_atcp(timeout.into())
    }
}
