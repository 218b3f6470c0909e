//! Matching a whole area at once: the assignment of requests to helpers that maximises the
//! total score while no helper gets more than its capacity, by min-cost flow.
//!
//! The network is request → helper (capacity 1, cost −score) → sink (capacity = the helper's
//! capacity), plus a "stays unmatched" arc request → sink at cost 0, so every request is
//! routed and the total score is what is maximised, not the number of matches. Requests are
//! added one at a time, each by a shortest augmenting path (Dijkstra with Johnson potentials,
//! stopped at the sink), which may move earlier requests to other helpers: the successive
//! shortest path method in its row-by-row form (as in the Hungarian algorithm), exact after
//! every request. Greedy ("give each request its best free helper") is not optimal: one
//! popular helper would take the request that had no other option.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A possible pairing and its score (higher is better; pairings scoring 0 or less are ignored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pairing {
    /// Index of the request.
    pub request: usize,
    /// Index of the helper.
    pub helper: usize,
    /// The candidate score.
    pub score: f64,
}

/// Scores become integers at this scale, so path costs compare exactly.
const SCALE: f64 = 1e6;

#[derive(Debug, Clone)]
struct Arc {
    to: usize,
    cap: i64,
    cost: i64,
    rev: usize,
}

struct Network {
    arcs: Vec<Vec<Arc>>,
}

impl Network {
    fn new(nodes: usize) -> Self {
        Self { arcs: vec![Vec::new(); nodes] }
    }

    fn add(&mut self, from: usize, to: usize, cap: i64, cost: i64) {
        let rev_from = self.arcs[to].len();
        let rev_to = self.arcs[from].len();
        self.arcs[from].push(Arc { to, cap, cost, rev: rev_from });
        self.arcs[to].push(Arc { to: from, cap: 0, cost: -cost, rev: rev_to });
    }
}

/// The best assignment: each request at most once, each helper at most `capacities[h]` times.
/// Returns the chosen pairings, by request.
pub fn assign(requests: usize, capacities: &[u32], pairings: &[Pairing]) -> Vec<Pairing> {
    let helpers = capacities.len();
    let sink = requests + helpers;
    let hel = |h: usize| requests + h;
    let mut net = Network::new(sink + 1);
    let mut best_into = vec![0i64; helpers];
    let mut used = Vec::new();
    for p in pairings {
        if p.request >= requests || p.helper >= helpers || p.score.is_nan() || p.score <= 0.0 || capacities[p.helper] == 0 {
            continue;
        }
        let w = (p.score * SCALE).round() as i64;
        if w <= 0 {
            continue;
        }
        best_into[p.helper] = best_into[p.helper].max(w);
        used.push((p.request, p.helper, w));
        net.add(p.request, hel(p.helper), 1, -w);
    }
    for r in 0..requests {
        net.add(r, sink, 1, 0);
    }
    for (h, c) in capacities.iter().enumerate() {
        if *c > 0 {
            net.add(hel(h), sink, i64::from(*c), 0);
        }
    }

    // Potentials that make every arc's reduced cost non-negative: the network is a DAG, so
    // these are shortest distances from a virtual source before any flow.
    let mut pot = vec![0i64; sink + 1];
    for h in 0..helpers {
        pot[hel(h)] = -best_into[h];
    }
    pot[sink] = best_into.iter().copied().max().map_or(0, |m| -m).min(0);

    let mut dist = vec![i64::MAX; sink + 1];
    let mut prev: Vec<Option<(usize, usize)>> = vec![None; sink + 1];
    let mut done = vec![false; sink + 1];
    let mut touched: Vec<usize> = Vec::new();
    let mut heap = BinaryHeap::new();
    for start in 0..requests {
        for &v in &touched {
            dist[v] = i64::MAX;
            prev[v] = None;
            done[v] = false;
        }
        touched.clear();
        heap.clear();
        dist[start] = 0;
        touched.push(start);
        heap.push(Reverse((0i64, start)));
        while let Some(Reverse((d, u))) = heap.pop() {
            if done[u] {
                continue;
            }
            done[u] = true;
            if u == sink {
                break;
            }
            for (i, a) in net.arcs[u].iter().enumerate() {
                if a.cap <= 0 {
                    continue;
                }
                let nd = d + a.cost + pot[u] - pot[a.to];
                if nd < dist[a.to] {
                    if dist[a.to] == i64::MAX {
                        touched.push(a.to);
                    }
                    dist[a.to] = nd;
                    prev[a.to] = Some((u, i));
                    heap.push(Reverse((nd, a.to)));
                }
            }
        }
        // The "stays unmatched" arc guarantees a path to the sink.
        let reach = dist[sink];
        let mut v = sink;
        while let Some((u, i)) = prev[v] {
            let rev = net.arcs[u][i].rev;
            net.arcs[u][i].cap -= 1;
            net.arcs[v][rev].cap += 1;
            v = u;
        }
        // Nodes not settled are at least `reach` away; capping keeps reduced costs
        // non-negative. Untouched nodes all move by `reach`, which changes no reduced cost
        // between them, so only the touched ones are adjusted (and `reach` is folded into a
        // running offset for the rest).
        for &v in &touched {
            let dv = if done[v] { dist[v].min(reach) } else { reach };
            pot[v] += dv - reach;
        }
    }

    let mut out = Vec::new();
    for r in 0..requests {
        for a in &net.arcs[r] {
            if a.to >= requests && a.to < sink && a.cap == 0 && a.cost < 0 {
                let h = a.to - requests;
                let score = used.iter().find(|(rr, hh, _)| *rr == r && *hh == h).map(|(_, _, w)| *w as f64 / SCALE).unwrap_or(0.0);
                out.push(Pairing { request: r, helper: h, score });
            }
        }
    }
    out
}

/// The total score of an assignment.
pub fn total(assignment: &[Pairing]) -> f64 {
    assignment.iter().map(|p| p.score).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every feasible assignment, tried one by one.
    fn brute_force(requests: usize, capacities: &[u32], pairings: &[Pairing]) -> i64 {
        fn go(r: usize, requests: usize, left: &mut Vec<u32>, pairings: &[Pairing], acc: i64, best: &mut i64) {
            if r == requests {
                *best = (*best).max(acc);
                return;
            }
            go(r + 1, requests, left, pairings, acc, best);
            for p in pairings.iter().filter(|p| p.request == r && p.score > 0.0) {
                if left[p.helper] > 0 {
                    left[p.helper] -= 1;
                    go(r + 1, requests, left, pairings, acc + (p.score * SCALE).round() as i64, best);
                    left[p.helper] += 1;
                }
            }
        }
        let mut best = 0;
        go(0, requests, &mut capacities.to_vec(), pairings, 0, &mut best);
        best
    }

    #[test]
    fn greedy_is_beaten() {
        // Request 0 likes helper 0 best, but request 1 can only go to helper 0.
        let pairings = [
            Pairing { request: 0, helper: 0, score: 0.9 },
            Pairing { request: 0, helper: 1, score: 0.8 },
            Pairing { request: 1, helper: 0, score: 0.7 },
        ];
        let a = assign(2, &[1, 1], &pairings);
        assert_eq!(a.len(), 2);
        assert!((total(&a) - 1.5).abs() < 1e-9, "{a:?}");
    }

    #[test]
    fn capacity_is_respected_and_weak_pairings_are_left_out() {
        let pairings: Vec<Pairing> = (0..5).map(|r| Pairing { request: r, helper: 0, score: 0.5 + r as f64 / 10.0 }).collect();
        let a = assign(5, &[2], &pairings);
        assert_eq!(a.len(), 2);
        assert!(a.iter().all(|p| p.request >= 3), "the two best: {a:?}");
        assert!(assign(1, &[1], &[Pairing { request: 0, helper: 0, score: -0.1 }]).is_empty());
        assert!(assign(1, &[0], &[Pairing { request: 0, helper: 0, score: 0.5 }]).is_empty());
    }

    proptest! {
        /// On small cases the assignment is as good as the best of every possible one, and it
        /// never breaks a capacity or gives a request two helpers.
        #[test]
        fn optimal_against_brute_force(
            requests in 1usize..6,
            capacities in proptest::collection::vec(0u32..3, 1..5),
            raw in proptest::collection::vec((0usize..6, 0usize..5, -200i64..1000), 0..20),
        ) {
            let helpers = capacities.len();
            let mut pairings: Vec<Pairing> = Vec::new();
            for (r, h, w) in raw {
                let (r, h) = (r % requests, h % helpers);
                if pairings.iter().any(|p| p.request == r && p.helper == h) {
                    continue;
                }
                pairings.push(Pairing { request: r, helper: h, score: w as f64 / 1000.0 });
            }
            let a = assign(requests, &capacities, &pairings);
            let got: i64 = a.iter().map(|p| (p.score * SCALE).round() as i64).sum();
            prop_assert_eq!(got, brute_force(requests, &capacities, &pairings));
            for r in 0..requests {
                prop_assert!(a.iter().filter(|p| p.request == r).count() <= 1);
            }
            for (h, c) in capacities.iter().enumerate() {
                prop_assert!(a.iter().filter(|p| p.helper == h).count() as u32 <= *c);
            }
            for p in &a {
                prop_assert!(pairings.iter().any(|q| q.request == p.request && q.helper == p.helper && q.score > 0.0));
            }
        }
    }
}
