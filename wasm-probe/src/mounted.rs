//! Who keeps a mounted component alive: the component itself, not the
//! handle JavaScript receives.
//!
//! wasm-bindgen frees a Rust object once JavaScript garbage-collects its
//! handle, and a module-level `let` nobody reads again can be collected. If
//! the handle owned the component, an embed author who writes
//! `mount(el, {})` and drops the result would see the checker vanish at the
//! next collection. So mounted components live in this registry until
//! [`Mounted::unmount`] is called, and the handle is only a key.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

thread_local! {
    static MOUNTED: RefCell<BTreeMap<u32, Rc<dyn Any>>> = RefCell::default();
    static NEXT_KEY: Cell<u32> = const { Cell::new(0) };
}

/// A mounted component. Keeping or dropping it changes nothing; only
/// `unmount()` takes the component off the page.
#[wasm_bindgen]
pub struct Mounted {
    key: u32,
}

impl Mounted {
    /// Keeps `component` alive until unmounted; its `Drop` does the unmounting.
    pub fn keep(component: Rc<dyn Any>) -> Self {
        let key = NEXT_KEY.with(|next| {
            let key = next.get();
            next.set(key + 1);
            key
        });
        MOUNTED.with(|mounted| mounted.borrow_mut().insert(key, component));
        Self { key }
    }
}

#[wasm_bindgen]
impl Mounted {
    /// Closes the component's socket (when it was the last user) and removes
    /// its elements; calling it again does nothing.
    pub fn unmount(&self) {
        // Dropped outside the borrow: a component's Drop may touch the registry.
        let component = MOUNTED.with(|mounted| mounted.borrow_mut().remove(&self.key));
        drop(component);
    }
}
