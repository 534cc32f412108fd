//! A small dependency graph: topological order, cycles, transitive closures.

use std::collections::{BTreeMap, BTreeSet};

/// A directed graph where an edge `a -> b` means "a depends on b".
#[derive(Debug, Clone)]
pub struct Graph<N: Ord + Clone> {
    deps: BTreeMap<N, BTreeSet<N>>,
}

impl<N: Ord + Clone> Default for Graph<N> {
    fn default() -> Self {
        Self {
            deps: BTreeMap::new(),
        }
    }
}

impl<N: Ord + Clone> Graph<N> {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node (no-op when present).
    pub fn add_node(&mut self, n: N) {
        self.deps.entry(n).or_default();
    }

    /// Records that `from` depends on `to` (both become nodes).
    pub fn add_edge(&mut self, from: N, to: N) {
        self.add_node(to.clone());
        self.deps.entry(from).or_default().insert(to);
    }

    /// True when `n` is a node.
    pub fn contains(&self, n: &N) -> bool {
        self.deps.contains_key(n)
    }

    /// All nodes in order.
    pub fn nodes(&self) -> impl Iterator<Item = &N> {
        self.deps.keys()
    }

    /// The direct dependencies of `n`.
    pub fn dependencies(&self, n: &N) -> impl Iterator<Item = &N> {
        self.deps.get(n).into_iter().flatten()
    }

    /// Nodes in dependency order (dependencies first), or one cycle as a path
    /// `a, b, ..., a`.
    pub fn topo_order(&self) -> Result<Vec<N>, Vec<N>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Visiting,
            Done,
        }
        let mut marks: BTreeMap<&N, Mark> = BTreeMap::new();
        let mut order = Vec::new();
        let mut path: Vec<&N> = Vec::new();
        fn visit<'g, N: Ord + Clone>(
            g: &'g Graph<N>,
            n: &'g N,
            marks: &mut BTreeMap<&'g N, Mark>,
            path: &mut Vec<&'g N>,
            order: &mut Vec<N>,
        ) -> Result<(), Vec<N>> {
            match marks.get(n) {
                Some(Mark::Done) => return Ok(()),
                Some(Mark::Visiting) => {
                    let start = path.iter().position(|p| *p == n).unwrap_or(0);
                    let mut cycle: Vec<N> = path[start..].iter().map(|p| (*p).clone()).collect();
                    cycle.push(n.clone());
                    return Err(cycle);
                }
                None => {}
            }
            marks.insert(n, Mark::Visiting);
            path.push(n);
            for d in g.dependencies(n) {
                visit(g, d, marks, path, order)?;
            }
            path.pop();
            marks.insert(n, Mark::Done);
            order.push(n.clone());
            Ok(())
        }
        for n in self.deps.keys() {
            visit(self, n, &mut marks, &mut path, &mut order)?;
        }
        Ok(order)
    }

    /// Everything `start` depends on, directly or not (excluding `start`).
    pub fn transitive_dependencies(&self, start: &N) -> BTreeSet<N> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(n) = stack.pop() {
            for d in self.dependencies(&n) {
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        seen.remove(start);
        seen
    }

    /// Everything that depends on `start`, directly or not (excluding `start`).
    pub fn transitive_dependents(&self, start: &N) -> BTreeSet<N> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(n) = stack.pop() {
            for (m, deps) in &self.deps {
                if deps.contains(&n) && seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        seen.remove(start);
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_finds_cycles() {
        let mut g = Graph::new();
        g.add_edge("key", "member");
        g.add_edge("member", "sa");
        g.add_edge("key", "sa");
        assert_eq!(g.topo_order().unwrap(), vec!["sa", "member", "key"]);
        assert_eq!(
            g.transitive_dependencies(&"key"),
            BTreeSet::from(["member", "sa"])
        );
        assert_eq!(
            g.transitive_dependents(&"sa"),
            BTreeSet::from(["member", "key"])
        );
        g.add_edge("sa", "key");
        let cycle = g.topo_order().unwrap_err();
        assert_eq!(cycle.first(), cycle.last());
        assert!(cycle.len() >= 3);
    }
}
