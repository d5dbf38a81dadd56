//! A program back to rules, for `from_wire`: it reads only programs in the shape the
//! assembler writes, and only what tells them apart, since `from_wire` compiles the rules
//! again and compares the bytes.

use std::collections::BTreeMap;

use super::bpf::*;
use super::names::syscall_name;
use super::rule::{Condition, Op, Rule};

impl Condition {
    /// The condition `emit` wrote at the start of `insns`, and its length. Reads only what
    /// tells conditions apart: `from_wire` checks the rest by compiling again.
    fn read(insns: &[Insn]) -> Option<(Condition, usize)> {
        let high = insns.first().filter(|i| i.code == LD_W_ABS)?.k;
        let index = high.checked_sub(ARGS + 4).filter(|o| o % 8 == 0)? / 8;
        let join = |high: &Insn, low: &Insn| u64::from(high.k) << 32 | u64::from(low.k);
        let second = insns.get(1)?;
        let (op, value, value_two) = match second.code {
            AND_K => (
                Op::MaskedEq,
                join(second, insns.get(4)?),
                join(insns.get(2)?, insns.get(5)?),
            ),
            JEQ_K => {
                let last = insns.get(3)?;
                let op = if last.jt == 0 { Op::Eq } else { Op::Ne };
                (op, join(second, last), 0)
            }
            JGT_K => {
                let last = insns.get(4)?;
                let op = match (last.code, last.jt == 0) {
                    (JGT_K, true) => Op::Gt,
                    (JGE_K, true) => Op::Ge,
                    (JGE_K, false) => Op::Lt,
                    (JGT_K, false) => Op::Le,
                    _ => return None,
                };
                (op, join(second, last), 0)
            }
            _ => return None,
        };
        let condition = Condition {
            index: u8::try_from(index)
                .ok()
                .filter(|&i| usize::from(i) < MAX_ARGS)?,
            op,
            value,
            value_two,
        };
        Some((condition, condition.len()))
    }
}

/// The calls that share a body, in increasing order, and their rules.
type Group = (Vec<u32>, Vec<Rule>);

/// The default action, and each body's call numbers and rules, of a program in the shape
/// `assemble` writes.
pub(super) fn read_program(insns: &[Insn]) -> Option<(u32, Vec<Group>)> {
    if insns.get(..HEADER_LEN)? != header() {
        return None;
    }
    let mut at = HEADER_LEN;
    let mut first = 0u32;
    // (first number, last number, target) per test.
    let mut runs = Vec::new();
    let ret_default = loop {
        let test = insns.get(at)?;
        match test.code {
            RET_K => break at,
            JGT_K if test.jt == 0 => {
                runs.push((first, test.k, at + 1 + usize::from(test.jf)));
                at += 1;
            }
            JGT_K => {
                let ja = insns.get(at + 1).filter(|i| i.code == JA)?;
                runs.push((first, test.k, at + 2 + usize::try_from(ja.k).ok()?));
                at += 2;
            }
            _ => return None,
        }
        first = test.k.checked_add(1)?;
    };
    let default = insns[ret_default].k;
    // Bodies by target, in program order, which is the order of their lowest numbers.
    let mut groups: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for (first, last, target) in runs {
        if target == ret_default {
            continue;
        }
        // Only numbers of calls have rules: stop before counting to 2^32.
        syscall_name(last)?;
        groups.entry(target).or_default().extend(first..=last);
    }
    let mut out = Vec::new();
    for (start, numbers) in groups {
        out.push((numbers, read_body(insns, start, default)?));
    }
    Some((default, out))
}

/// The rules of the body at `at`.
fn read_body(insns: &[Insn], mut at: usize, default: u32) -> Option<Vec<Rule>> {
    let mut rules = Vec::new();
    loop {
        let mut conditions = Vec::new();
        let ret = loop {
            let insn = insns.get(at)?;
            if insn.code == RET_K {
                at += 1;
                break insn.k;
            }
            let (condition, len) = Condition::read(&insns[at..])?;
            conditions.push(condition);
            at += len;
        };
        // A `ret` with no conditions is the last rule, or the default after the last rule.
        let last = conditions.is_empty();
        if !(last && ret == default) {
            rules.push(Rule { conditions, ret });
        }
        if last {
            return Some(rules);
        }
    }
}
