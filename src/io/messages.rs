//! Waiting for what the option handlers queue: MUD protocol messages (GMCP, MSDP,
//! ZMP, ATCP) and STATUS reports; and sending MUD messages once agreed.

use std::time::Instant;

use crate::error::{Error, Result};
use crate::proto::status::{self, StatusReport};
use crate::proto::{Opt, Side, msdp};
use crate::timeout::Timeout;

use super::core::Core;
use super::link::Role;
use super::options::Options;
use super::state::State;

impl<R: Role> Core<R> {
    /// Waits for the next GMCP message: (package, JSON text).
    pub fn read_gmcp(&self, timeout: Timeout) -> Result<(String, String)> {
        self.next_message("read_gmcp", timeout, |options| options.gmcp.pop_front())
    }

    /// Waits for the next MSDP message.
    pub fn read_msdp(&self, timeout: Timeout) -> Result<Vec<(String, msdp::Value)>> {
        self.next_message("read_msdp", timeout, |options| options.msdp.pop_front())
    }

    /// Waits for the next ZMP message: `[command, arg, …]`.
    pub fn read_zmp(&self, timeout: Timeout) -> Result<Vec<String>> {
        self.next_message("read_zmp", timeout, |options| options.zmp.pop_front())
    }

    /// Waits for the next ATCP message: (package, value).
    pub fn read_atcp(&self, timeout: Timeout) -> Result<(String, String)> {
        self.next_message("read_atcp", timeout, |options| options.atcp.pop_front())
    }

    /// Waits until `take` finds a queued message, or the connection ends.
    pub(crate) fn next_message<T>(
        &self,
        operation: &'static str,
        timeout: Timeout,
        take: impl Fn(&mut Options) -> Option<T>,
    ) -> Result<T> {
        let peer = self.peer();
        self.wait(operation, self.deadline_for(timeout), |state| {
            match take(&mut state.link.options) {
                Some(message) => Some(Ok(message)),
                None => state.end_error(operation, peer).map(Err),
            }
        })
    }

    /// Sends a MUD protocol message when either side performs `opt`; otherwise
    /// nothing is sent, and the error says whether the peer refused it or it was
    /// never agreed.
    pub fn send_mud(&self, operation: &'static str, opt: Opt, payload: &[u8]) -> Result<()> {
        let mut missing = None;
        self.send(operation, self.deadline_for(Timeout::Default), |state| {
            missing = self.missing_option(state, operation, opt);
            if missing.is_none() {
                state.link.engine.send_subnegotiation(opt, payload);
            }
        })?;
        missing.map_or(Ok(()), Err)
    }

    /// Asks for `side` of `opt` (nothing is sent when it is on already) and waits for
    /// the answer: `Refused` when the peer declines.
    pub fn request_option(
        &self,
        operation: &'static str,
        side: Side,
        opt: Opt,
        deadline: Option<Instant>,
    ) -> Result<()> {
        let peer = self.peer();
        self.send(operation, deadline, |state| {
            state.link.engine.request(side, opt, true);
        })?;
        self.wait(operation, deadline, |state| {
            let engine = &state.link.engine;
            if engine.is_enabled(side, opt) {
                Some(Ok(()))
            } else if !engine.is_pending(side, opt) {
                Some(Err(Error::Refused {
                    operation,
                    peer,
                    opt,
                }))
            } else {
                state.end_error(operation, peer).map(Err)
            }
        })
    }

    /// Unless either side performs `opt`, the error for a call that needs it:
    /// `Refused` when the peer declined it, `NotAgreed` when it never answered or
    /// nobody asked.
    pub fn missing_option(
        &self,
        state: &State<R>,
        operation: &'static str,
        opt: Opt,
    ) -> Option<Error> {
        if state.link.is_on(opt) {
            return None;
        }
        let peer = self.peer();
        Some(match state.link.options.refused.contains(opt) {
            true => Error::Refused {
                operation,
                peer,
                opt,
            },
            false => Error::NotAgreed {
                operation,
                peer,
                opt,
            },
        })
    }

    /// Asks the peer for its STATUS report: `DO STATUS` unless it performs STATUS
    /// already, then `SB STATUS SEND`; waits for the `IS` that answers.
    pub fn request_status(&self, timeout: Timeout) -> Result<StatusReport> {
        const OPERATION: &str = "request_status";
        let deadline = self.deadline_for(timeout);
        let peer = self.peer();
        self.request_option(OPERATION, Side::Remote, Opt::STATUS, deadline)?;
        let mut before = 0;
        self.send(OPERATION, deadline, |state| {
            before = state.link.options.status_reports;
            state
                .link
                .engine
                .send_subnegotiation(Opt::STATUS, &[status::SEND]);
        })?;
        self.wait(OPERATION, deadline, |state| {
            let options = &state.link.options;
            match &options.status {
                Some(report) if options.status_reports > before => Some(Ok(report.clone())),
                _ => state.end_error(OPERATION, peer).map(Err),
            }
        })
    }
}
