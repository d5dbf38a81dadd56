//! What a policy means once its names are read, before it is a program: each call's rules,
//! a rule's conditions and their compare operators. A leaf shared by the policy, the
//! assembler and the disassembler, so that none of them has to import another for its types.

/// A compare of an argument with a value (unsigned, 64-bit); `names::OPS` spells them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Op {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    MaskedEq,
}

/// One test on one argument.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) struct Condition {
    pub(super) index: u8,
    pub(super) op: Op,
    pub(super) value: u64,
    /// The datum for MASKED_EQ, 0 for the others.
    pub(super) value_two: u64,
}

/// A rule for one call: when all its conditions hold, `ret`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(super) struct Rule {
    pub(super) conditions: Vec<Condition>,
    pub(super) ret: u32,
}
