//! How keel shows a signal in messages: `SIGTERM` as tini does, real-time ones as `SIGRTMIN+n`.
//! Parsing lives in `keel_wire::syntax`, shared with keel-gen.

use keel_wire::syntax::{RTMIN, signal_name};

pub struct Name(pub i32);

impl ufmt::uDisplay for Name {
    fn fmt<W: ufmt::uWrite + ?Sized>(
        &self,
        f: &mut ufmt::Formatter<'_, W>,
    ) -> Result<(), W::Error> {
        match u8::try_from(self.0).ok().and_then(signal_name) {
            Some(name) => ufmt::uwrite!(f, "SIG{}", name),
            None if self.0 >= i32::from(RTMIN) => {
                ufmt::uwrite!(f, "SIGRTMIN+{}", self.0 - i32::from(RTMIN))
            }
            None => ufmt::uwrite!(f, "signal {}", self.0),
        }
    }
}
