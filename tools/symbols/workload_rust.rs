// SPDX-License-Identifier: MIT
// Allocations through Vec and String from a Rust binary built with v0
// symbol mangling (-C symbol-mangling-version=v0), for the demangling tests.

pub struct Record {
    pub name: String,
    pub values: Vec<u64>,
}

#[inline(never)]
pub fn make_records(n: usize) -> Vec<Record> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(make_record(i));
    }
    out
}

#[inline(never)]
pub fn make_record(i: usize) -> Record {
    let mut values = Vec::with_capacity(64 + i % 7);
    values.push(i as u64);
    Record { name: format!("record-{i:08}"), values }
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let records = make_records(n);
    std::process::exit(if records.len() == n { 0 } else { 1 });
}
