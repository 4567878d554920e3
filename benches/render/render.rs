//! Frame time of the main screen with 10,000 instances, and the cost of
//! re-filtering, re-sorting and re-judging them (`recompute_costs`: one
//! `assess` per instance, which every frame then reads from the cache).
//! Run: `cargo bench -p hytop-render-bench`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hytop::dashboard::model::SortColumn;
use hytop::dashboard::view::{self, Theme};
use hytop::testutil::big_state;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn frame(c: &mut Criterion) {
    let mut state = big_state(10_000);
    let theme = Theme { color: true };
    let mut terminal = Terminal::new(TestBackend::new(160, 50)).expect("terminal");
    state.select_row(5_000);
    c.bench_function("draw main screen, 10k instances, 160x50", |b| {
        b.iter(|| {
            terminal
                .draw(|f| view::draw(f, black_box(&mut state), &theme))
                .expect("draw");
        })
    });
}

fn view(c: &mut Criterion) {
    let mut state = big_state(10_000);
    c.bench_function("filter 10k instances", |b| {
        b.iter(|| {
            state.filter = "node-04".into();
            state.rebuild_view();
            state.filter.clear();
            state.rebuild_view();
        })
    });
    c.bench_function("sort 10k instances by age", |b| {
        b.iter(|| {
            state.sort = SortColumn::Age;
            state.rebuild_view();
            state.sort = SortColumn::Name;
            state.rebuild_view();
        })
    });
    c.bench_function("sort 10k instances by cost", |b| {
        b.iter(|| {
            state.sort = SortColumn::Cost;
            state.rebuild_view();
            state.sort = SortColumn::Name;
            state.rebuild_view();
        })
    });
}

fn costs(c: &mut Criterion) {
    let mut state = big_state(10_000);
    c.bench_function("recompute costs and flags, 10k instances", |b| {
        b.iter(|| black_box(&mut state).recompute_costs())
    });
}

criterion_group!(benches, frame, view, costs);
criterion_main!(benches);
