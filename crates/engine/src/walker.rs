//! A dependency graph of work items and a generic walk over it.
//!
//! Nodes `0..work` are work items; the nodes after them are barriers, done as soon as
//! everything they wait for is done (one edge to a barrier stands for many edges). The
//! [`Walker`] says which work items are ready, and a failed item blocks everything that
//! waits for it, directly or through barriers. What a work item is, and how it runs, is
//! the caller's business.

use crate::graph::Graph;

/// Work items and barriers, and what each waits for.
#[derive(Debug, Clone, Default)]
pub struct DependencyGraph {
    work: usize,
    waits_for: Vec<Vec<usize>>,
}

impl DependencyGraph {
    /// `work` work items waiting for nothing yet.
    pub fn new(work: usize) -> DependencyGraph {
        DependencyGraph {
            work,
            waits_for: vec![Vec::new(); work],
        }
    }

    /// The number of nodes (work items and barriers).
    pub fn nodes(&self) -> usize {
        self.waits_for.len()
    }

    /// Makes `node` wait for `on`.
    pub fn wait(&mut self, node: usize, on: usize) {
        self.waits_for[node].push(on);
    }

    /// Makes `node` wait for every node of `on`.
    pub fn wait_all(&mut self, node: usize, on: impl IntoIterator<Item = usize>) {
        self.waits_for[node].extend(on);
    }

    /// Adds a barrier waiting for `members` and returns its node; `None` when there is
    /// nothing to wait for.
    pub fn barrier(&mut self, members: Vec<usize>) -> Option<usize> {
        if members.is_empty() {
            return None;
        }
        self.waits_for.push(members);
        Some(self.waits_for.len() - 1)
    }

    /// What `node` waits for directly.
    pub fn waits_for(&self, node: usize) -> &[usize] {
        &self.waits_for[node]
    }

    /// Sorts and deduplicates every node's waits.
    pub fn normalize(&mut self) {
        for waits in &mut self.waits_for {
            waits.sort_unstable();
            waits.dedup();
        }
    }

    /// A loop of nodes waiting for each other, if there is one.
    pub fn cycle(&self) -> Option<Vec<usize>> {
        let mut graph: Graph<usize> = Graph::new();
        for (node, waits) in self.waits_for.iter().enumerate() {
            graph.add_node(node);
            for &on in waits {
                graph.add_edge(node, on);
            }
        }
        graph.topo_order().err()
    }
}

/// The progress of a walk over a [`DependencyGraph`].
pub struct Walker {
    work: usize,
    pending: Vec<usize>,
    dependents: Vec<Vec<usize>>,
    started: Vec<bool>,
    blocked: Vec<bool>,
}

impl Walker {
    /// A walk that has not started; barriers waiting for nothing are done at once.
    pub fn new(graph: &DependencyGraph) -> Walker {
        let nodes = graph.nodes();
        let mut dependents = vec![Vec::new(); nodes];
        for (node, waits) in graph.waits_for.iter().enumerate() {
            for &on in waits {
                dependents[on].push(node);
            }
        }
        let mut walker = Walker {
            work: graph.work,
            pending: graph.waits_for.iter().map(Vec::len).collect(),
            dependents,
            started: vec![false; graph.work],
            blocked: vec![false; nodes],
        };
        for barrier in graph.work..nodes {
            if walker.pending[barrier] == 0 {
                walker.release(barrier);
            }
        }
        walker
    }

    /// Whether work item `i` may start: not started, not blocked, nothing left to wait for.
    pub fn is_ready(&self, i: usize) -> bool {
        !self.started[i] && !self.blocked[i] && self.pending[i] == 0
    }

    /// The work items that may start, in order.
    pub fn ready(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.work).filter(|&i| self.is_ready(i))
    }

    /// Marks work item `i` as started.
    pub fn start(&mut self, i: usize) {
        self.started[i] = true;
    }

    /// Marks work item `i` as done: what waits for it waits for one node less.
    pub fn succeeded(&mut self, i: usize) {
        self.release(i);
    }

    /// Marks work item `i` as failed: everything that waits for it, directly or not, is
    /// blocked and never becomes ready.
    pub fn failed(&mut self, i: usize) {
        let mut stack = vec![i];
        while let Some(node) = stack.pop() {
            for &d in &self.dependents[node] {
                if !self.blocked[d] {
                    self.blocked[d] = true;
                    stack.push(d);
                }
            }
        }
    }

    fn release(&mut self, done: usize) {
        let mut stack = vec![done];
        while let Some(node) = stack.pop() {
            for &d in &self.dependents[node] {
                self.pending[d] -= 1;
                if d >= self.work && self.pending[d] == 0 {
                    stack.push(d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0 and 1 run first; 2 waits for both through a barrier; 3 waits for 2.
    fn diamond() -> DependencyGraph {
        let mut graph = DependencyGraph::new(4);
        let barrier = graph.barrier(vec![0, 1]).unwrap();
        graph.wait(2, barrier);
        graph.wait(3, 2);
        graph
    }

    #[test]
    fn work_becomes_ready_when_what_it_waits_for_is_done() {
        let graph = diamond();
        let mut walker = Walker::new(&graph);
        assert_eq!(walker.ready().collect::<Vec<_>>(), [0, 1]);
        walker.start(0);
        walker.succeeded(0);
        assert_eq!(walker.ready().collect::<Vec<_>>(), [1]);
        walker.start(1);
        walker.succeeded(1);
        assert_eq!(walker.ready().collect::<Vec<_>>(), [2]);
        walker.start(2);
        walker.succeeded(2);
        assert_eq!(walker.ready().collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn a_failure_blocks_everything_downstream_only() {
        let graph = diamond();
        let mut walker = Walker::new(&graph);
        walker.start(0);
        walker.failed(0);
        assert_eq!(walker.ready().collect::<Vec<_>>(), [1]);
        walker.start(1);
        walker.succeeded(1);
        assert_eq!(walker.ready().count(), 0, "2 and 3 are blocked");
    }

    #[test]
    fn empty_barriers_and_cycles() {
        let mut graph = DependencyGraph::new(2);
        assert_eq!(graph.barrier(Vec::new()), None);
        graph.wait(0, 1);
        assert!(graph.cycle().is_none());
        graph.wait(1, 0);
        assert!(graph.cycle().is_some());
    }
}
