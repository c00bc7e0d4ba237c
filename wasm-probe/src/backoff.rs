//! Delays that double up to a cap: reconnecting to a helper that went away,
//! re-checking a service that is not up yet. Quick at first, so a restart
//! is noticed at once; capped, so a long wait costs the helper little.

#[derive(Debug, Clone)]
pub struct Backoff {
    first_ms: u32,
    max_ms: u32,
    next_ms: u32,
}

impl Backoff {
    pub const fn new(first_ms: u32, max_ms: u32) -> Self {
        Self {
            first_ms,
            max_ms,
            next_ms: first_ms,
        }
    }

    /// The delay before the next attempt; each call doubles the one after.
    pub fn next_delay(&mut self) -> u32 {
        let delay = self.next_ms;
        self.next_ms = delay.saturating_mul(2).min(self.max_ms);
        delay
    }

    /// After a success: the next failure starts from the first delay again.
    pub fn reset(&mut self) {
        self.next_ms = self.first_ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_starts_over_after_a_reset() {
        let mut backoff = Backoff::new(500, 5000);
        let delays: Vec<u32> = (0..6).map(|_| backoff.next_delay()).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 5000, 5000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), 500);
    }
}
