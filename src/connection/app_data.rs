//! The application's own data on a connection, one value per type: what miniboa
//! programs keep in a `client_class` subclass (a player's name, room, score), so a
//! game loop needs no side map keyed by address.

use std::any::TypeId;

use super::{Connection, Kind};

impl<K: Kind> Connection<K> {
    /// Keeps `value` with the connection, replacing (and returning) the value of the
    /// same type kept before. Every handle of the connection sees it.
    ///
    /// ```no_run
    /// # fn demo(conn: telnetlib::ServerConnection) {
    /// struct Player { name: String, hp: u32 }
    /// conn.set_app_data(Player { name: "ann".into(), hp: 10 });
    /// conn.with_app_data(|player: &mut Player| player.hp -= 1);
    /// let name = conn.with_app_data(|player: &mut Player| player.name.clone());
    /// assert_eq!(name.as_deref(), Some("ann"));
    /// # }
    /// ```
    pub fn set_app_data<T: Send + 'static>(&self, value: T) -> Option<T> {
        let previous = self
            .core()
            .shared
            .app_data
            .lock()
            .0
            .insert(TypeId::of::<T>(), Box::new(value));
        previous.and_then(|old| old.downcast().ok().map(|old| *old))
    }

    /// Runs `f` on the value of type `T` kept with the connection; `None` if there is
    /// none. The values stay locked while `f` runs, so `f` must be quick: it must not
    /// call the app-data methods of the same connection, nor wait on it (a read, a
    /// `wait_for`, a write that may wait): an event hook that needs the values
    /// would wait for `f` while `f` waits for the input the hook's thread is
    /// processing. Take the value out with [`take_app_data`](Self::take_app_data)
    /// for longer work.
    pub fn with_app_data<T: Send + 'static, R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut values = self.core().shared.app_data.lock();
        let value = values.0.get_mut(&TypeId::of::<T>())?.downcast_mut::<T>()?;
        Some(f(value))
    }

    /// Takes the value of type `T` away from the connection.
    pub fn take_app_data<T: Send + 'static>(&self) -> Option<T> {
        let value = self
            .core()
            .shared
            .app_data
            .lock()
            .0
            .remove(&TypeId::of::<T>())?;
        value.downcast().ok().map(|value| *value)
    }
}
