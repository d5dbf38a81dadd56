//! How keel shows a signal in messages: `SIGTERM` as tini does, real-time ones as `SIGRTMIN+n`.
//! Parsing lives in `keel_wire::syntax`, shared with keel-gen.

use crate::log::{Line, Show};
use keel_wire::syntax::{RTMIN, signal_name};

pub struct Name(pub i32);

impl Show for Name {
    fn show(&self, line: &mut Line) {
        match u8::try_from(self.0).ok().and_then(signal_name) {
            Some(name) => {
                line.push(b"SIG");
                line.push(name.as_bytes());
            }
            None if self.0 >= i32::from(RTMIN) => {
                line.push(b"SIGRTMIN+");
                (self.0 - i32::from(RTMIN)).show(line);
            }
            None => {
                line.push(b"signal ");
                self.0.show(line);
            }
        }
    }
}
