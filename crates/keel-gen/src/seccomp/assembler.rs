//! Rules to a program: the header, the dispatch on the call number and one body per set
//! of calls with the same rules, laid out as the module's documentation describes.

use std::collections::{BTreeMap, HashMap};

use super::bpf::*;
use super::rule::{Condition, Op, Rule};

/// The program for the rules of each call (see the module's documentation).
pub(super) fn assemble(calls: &BTreeMap<u32, Vec<Rule>>, default: u32) -> Vec<Insn> {
    // The calls with the same rules share a body; bodies in order of their lowest number.
    let mut group_of: HashMap<&[Rule], usize> = HashMap::new();
    let mut bodies: Vec<Vec<Insn>> = Vec::new();
    // The runs of consecutive numbers with the same body: (last number, body).
    let mut runs: Vec<(u32, u32, usize)> = Vec::new();
    for (&nr, rules) in calls {
        let group = *group_of.entry(rules).or_insert_with(|| {
            bodies.push(body(rules, default));
            bodies.len() - 1
        });
        match runs.last_mut() {
            Some((_, last, g)) if *g == group && *last + 1 == nr => *last = nr,
            _ => runs.push((nr, nr, group)),
        }
    }
    // The dispatch's tests: (last number, target body or None for the default), in order.
    let mut tests: Vec<(u32, Option<usize>)> = Vec::new();
    let mut next = 0;
    for (first, last, group) in runs {
        if first > next {
            tests.push((first - 1, None));
        }
        tests.push((last, Some(group)));
        next = last + 1;
    }
    // Which tests jump too far for their 8-bit offset and need a `ja`. Making a test long
    // only moves the targets farther, so this only ever adds `ja`s and ends. Each pass stops
    // at the first test it makes long: the positions after it, and the targets, have moved,
    // and the next pass measures them again.
    let mut long = vec![false; tests.len()];
    let (ret_default, starts) = loop {
        let ret_default = HEADER_LEN + tests.len() + long.iter().filter(|&&l| l).count();
        let starts: Vec<usize> = bodies
            .iter()
            .scan(ret_default + 1, |start, body| {
                let this = *start;
                *start += body.len();
                Some(this)
            })
            .collect();
        let mut at = HEADER_LEN;
        let mut changed = false;
        for (i, &(_, target)) in tests.iter().enumerate() {
            let to = target.map_or(ret_default, |group| starts[group]);
            if !long[i] && to - (at + 1) > MAX_SHORT_JUMP {
                long[i] = true;
                changed = true;
                break;
            }
            at += 1 + usize::from(long[i]);
        }
        if !changed {
            break (ret_default, starts);
        }
    };
    let mut program = header().to_vec();
    for (&(last, target), long) in tests.iter().zip(long) {
        let at = program.len();
        let to = target.map_or(ret_default, |group| starts[group]);
        if long {
            // Past `last`: skip the `ja` to the next test.
            program.push(jump(JGT_K, last, at, at + 2, at + 1));
            let offset = to - (at + 2);
            program.push(Insn {
                code: JA,
                jt: 0,
                jf: 0,
                k: u32::try_from(offset).expect("programs are short"),
            });
        } else {
            program.push(jump(JGT_K, last, at, at + 1, to));
        }
    }
    program.push(Insn::ret(default));
    for body in bodies {
        program.extend(body);
    }
    program
}

/// The instructions for one call's rules, which end in a `ret`.
fn body(rules: &[Rule], default: u32) -> Vec<Insn> {
    let mut out = Vec::new();
    for rule in rules {
        let size: usize = rule.conditions.iter().map(Condition::len).sum();
        let next_rule = out.len() + size + 1;
        for condition in &rule.conditions {
            condition.emit(&mut out, next_rule);
        }
        out.push(Insn::ret(rule.ret));
    }
    // The last rule has conditions: the calls that fail them get the default.
    if rules.last().is_some_and(|rule| !rule.conditions.is_empty()) {
        out.push(Insn::ret(default));
    }
    out
}

impl Condition {
    /// How many instructions `emit` writes; the disassembler steps over a condition by it.
    pub(super) fn len(&self) -> usize {
        match self.op {
            Op::Eq | Op::Ne => 4,
            Op::Gt | Op::Ge | Op::Lt | Op::Le => 5,
            Op::MaskedEq => 6,
        }
    }

    /// Appends the test, which falls through when it holds and jumps to `fail` when not.
    /// A 64-bit compare is two 32-bit ones: the high words decide unless they are equal.
    fn emit(&self, out: &mut Vec<Insn>, fail: usize) {
        // x86_64 is little-endian: the low word of args[i] first.
        let low = ARGS + 8 * u32::from(self.index);
        let high = low + 4;
        let split = |value: u64| ((value >> 32) as u32, value as u32);
        let (value_high, value_low) = split(self.value);
        let p = out.len();
        let pass = p + self.len();
        out.push(Insn::load(high));
        match self.op {
            Op::Eq => out.extend([
                jump(JEQ_K, value_high, p + 1, p + 2, fail),
                Insn::load(low),
                jump(JEQ_K, value_low, p + 3, pass, fail),
            ]),
            Op::Ne => out.extend([
                jump(JEQ_K, value_high, p + 1, p + 2, pass),
                Insn::load(low),
                jump(JEQ_K, value_low, p + 3, fail, pass),
            ]),
            Op::Gt | Op::Ge => out.extend([
                jump(JGT_K, value_high, p + 1, pass, p + 2),
                jump(JEQ_K, value_high, p + 2, p + 3, fail),
                Insn::load(low),
                match self.op {
                    Op::Gt => jump(JGT_K, value_low, p + 4, pass, fail),
                    _ => jump(JGE_K, value_low, p + 4, pass, fail),
                },
            ]),
            // The negations of GE and GT.
            Op::Lt | Op::Le => out.extend([
                jump(JGT_K, value_high, p + 1, fail, p + 2),
                jump(JEQ_K, value_high, p + 2, p + 3, pass),
                Insn::load(low),
                match self.op {
                    Op::Lt => jump(JGE_K, value_low, p + 4, fail, pass),
                    _ => jump(JGT_K, value_low, p + 4, fail, pass),
                },
            ]),
            Op::MaskedEq => {
                let (mask_high, mask_low) = (value_high, value_low);
                let (datum_high, datum_low) = split(self.value_two);
                let and = |k| Insn {
                    code: AND_K,
                    jt: 0,
                    jf: 0,
                    k,
                };
                out.extend([
                    and(mask_high),
                    jump(JEQ_K, datum_high, p + 2, p + 3, fail),
                    Insn::load(low),
                    and(mask_low),
                    jump(JEQ_K, datum_low, p + 5, pass, fail),
                ]);
            }
        }
        debug_assert_eq!(out.len(), pass);
    }
}
