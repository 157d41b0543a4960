//! Where a connection keeps the application's own values (`Connection::set_app_data`).

use std::any::{Any, TypeId};
use std::collections::HashMap;

/// Values of any types, at most one of each.
#[derive(Default)]
pub(crate) struct AppData(pub HashMap<TypeId, Box<dyn Any + Send>>);

impl std::fmt::Debug for AppData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AppData({} values)", self.0.len())
    }
}
