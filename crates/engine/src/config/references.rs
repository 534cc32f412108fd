//! Static discovery of the references an expression makes (for the graph and validation).

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::edit::template::{Directive, Element, Template};

use super::{Expr, Span};
use crate::address::{InstanceKey, ResourceAddr};

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceKind {
    /// `var.NAME`.
    Variable(String),
    /// `local.NAME`.
    Local(String),
    /// `TYPE.NAME...`, with the attribute accessed (after an optional index) and
    /// whether an index or splat came before it.
    Resource {
        /// The resource.
        addr: ResourceAddr,
        /// The attribute name, if a static one is accessed.
        attribute: Option<String>,
        /// True when an index (or splat) came between the name and the attribute.
        indexed: bool,
        /// The instance the index selects, when it is known without evaluating.
        index: Option<StaticIndex>,
    },
    /// `count.index`.
    Count,
    /// `each.key` / `each.value`.
    Each,
    /// `path.*`, `terraform.*` and other built-in objects.
    BuiltIn,
}

/// An index of a resource reference that names one instance without evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaticIndex {
    /// `[each.key]`: the instance with the referring instance's `for_each` key.
    EachKey,
    /// `[count.index]`: the instance with the referring instance's `count` index.
    CountIndex,
    /// A literal key, e.g. `["alice"]` or `[0]`.
    Literal(InstanceKey),
}

/// One reference and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// What it points at.
    pub kind: ReferenceKind,
    /// Where it is written.
    pub span: Span,
}

/// Every reference `expr` makes (iteration variables of `for` are not references).
pub fn references_of(expr: &Expr) -> Vec<Reference> {
    let mut walker = Walker {
        file: expr.span.file,
        fallback: expr.span.range.clone(),
        bound: Vec::new(),
        out: Vec::new(),
    };
    walker.expr(&expr.expr);
    walker.out
}

struct Walker {
    file: usize,
    fallback: std::ops::Range<usize>,
    bound: Vec<String>,
    out: Vec<Reference>,
}

impl Walker {
    fn push(&mut self, kind: ReferenceKind, at: &Expression) {
        let range = at.span().unwrap_or(self.fallback.clone());
        self.out.push(Reference {
            kind,
            span: Span {
                file: self.file,
                range,
            },
        });
    }

    fn root(&mut self, at: &Expression, name: &str, ops: &[&TraversalOperator]) {
        if self.bound.iter().any(|b| b == name) {
            return;
        }
        let attr = |i: usize| match ops.get(i) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
            _ => None,
        };
        let kind = match name {
            "var" => ReferenceKind::Variable(attr(0).unwrap_or_default()),
            "local" => ReferenceKind::Local(attr(0).unwrap_or_default()),
            "count" => ReferenceKind::Count,
            "each" => ReferenceKind::Each,
            "path" | "terraform" | "self" | "module" => ReferenceKind::BuiltIn,
            root => {
                let (module, type_name, ops) = match crate::address::decode_module_root(root) {
                    Some(module) => match attr(0) {
                        Some(type_name) => (module, type_name, &ops[1..]),
                        None => {
                            self.push(ReferenceKind::BuiltIn, at);
                            return;
                        }
                    },
                    None => (String::new(), root.to_string(), ops),
                };
                let first = |i: usize| match ops.get(i) {
                    Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
                    _ => None,
                };
                let (data, ops) = match (type_name.as_str(), first(0)) {
                    ("data", Some(data_type)) => (Some(data_type), &ops[1..]),
                    ("data", None) => {
                        self.push(ReferenceKind::BuiltIn, at);
                        return;
                    }
                    _ => (None, ops),
                };
                let attr = |i: usize| match ops.get(i) {
                    Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
                    _ => None,
                };
                let Some(res) = attr(0) else {
                    self.push(ReferenceKind::BuiltIn, at);
                    return;
                };
                let (attribute, indexed) = match ops.get(1) {
                    Some(TraversalOperator::GetAttr(a)) => (Some(a.as_str().to_string()), false),
                    Some(_) => (attr(2), true),
                    None => (None, false),
                };
                let index = match ops.get(1) {
                    Some(TraversalOperator::Index(e)) => self.static_index(e),
                    Some(TraversalOperator::LegacyIndex(i)) => i64::try_from(*i.value())
                        .ok()
                        .map(|i| StaticIndex::Literal(InstanceKey::Int(i))),
                    _ => None,
                };
                let addr = match data {
                    Some(data_type) => ResourceAddr::data(data_type, res),
                    None => ResourceAddr::new(&type_name, res),
                }
                .in_module(&module);
                ReferenceKind::Resource {
                    addr,
                    attribute,
                    indexed,
                    index,
                }
            }
        };
        self.push(kind, at);
    }

    /// The instance an index expression selects, when that is known statically.
    fn static_index(&self, index: &Expression) -> Option<StaticIndex> {
        match index {
            Expression::String(s) => Some(StaticIndex::Literal(InstanceKey::Str(
                s.value().to_string(),
            ))),
            Expression::Number(n) => n
                .value()
                .as_i64()
                .map(|i| StaticIndex::Literal(InstanceKey::Int(i))),
            Expression::Traversal(t) => {
                let Expression::Variable(root) = &t.expr else {
                    return None;
                };
                let root = root.as_str();
                if self.bound.iter().any(|b| b == root) {
                    return None;
                }
                let [op] = &t.operators[..] else {
                    return None;
                };
                match (root, op.value()) {
                    ("each", TraversalOperator::GetAttr(a)) if a.as_str() == "key" => {
                        Some(StaticIndex::EachKey)
                    }
                    ("count", TraversalOperator::GetAttr(a)) if a.as_str() == "index" => {
                        Some(StaticIndex::CountIndex)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn template(&mut self, t: &Template) {
        for element in t.iter() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(d) => {
                        self.expr(&d.if_expr.cond_expr);
                        self.template(&d.if_expr.template);
                        if let Some(e) = &d.else_expr {
                            self.template(&e.template);
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        self.expr(&f.collection_expr);
                        let before = self.bound.len();
                        if let Some(k) = &f.key_var {
                            self.bound.push(k.as_str().to_string());
                        }
                        self.bound.push(f.value_var.as_str().to_string());
                        self.template(&f.template);
                        self.bound.truncate(before);
                    }
                },
            }
        }
    }

    fn expr(&mut self, expr: &Expression) {
        match expr {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(items) => items.iter().for_each(|e| self.expr(e)),
            Expression::Object(obj) => {
                for (k, v) in obj.iter() {
                    if let ObjectKey::Expression(e) = k {
                        self.expr(e);
                    }
                    self.expr(v.expr());
                }
            }
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => self.root(expr, v.as_str(), &[]),
            Expression::Traversal(t) => {
                let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
                match &t.expr {
                    Expression::Variable(v) => self.root(expr, v.as_str(), &ops),
                    other => self.expr(other),
                }
                for op in ops {
                    if let TraversalOperator::Index(e) = op {
                        self.expr(e);
                    }
                }
            }
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(call) => call.args.iter().for_each(|e| self.expr(e)),
            Expression::UnaryOp(op) => self.expr(&op.expr),
            Expression::BinaryOp(op) => {
                self.expr(&op.lhs_expr);
                self.expr(&op.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr);
                let before = self.bound.len();
                if let Some(k) = &f.intro.key_var {
                    self.bound.push(k.as_str().to_string());
                }
                self.bound.push(f.intro.value_var.as_str().to_string());
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.bound.truncate(before);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(src: &str) -> Vec<ReferenceKind> {
        let expr = hcl::edit::parser::parse_expr(src).unwrap();
        references_of(&Expr {
            expr,
            span: Span::default(),
        })
        .into_iter()
        .map(|r| r.kind)
        .collect()
    }

    #[test]
    fn finds_references() {
        assert_eq!(
            refs("\"${var.a}-${local.b}\""),
            vec![
                ReferenceKind::Variable("a".into()),
                ReferenceKind::Local("b".into())
            ]
        );
        assert_eq!(
            refs("t.x[count.index].id"),
            vec![
                ReferenceKind::Resource {
                    addr: ResourceAddr::new("t", "x"),
                    attribute: Some("id".into()),
                    indexed: true,
                    index: Some(StaticIndex::CountIndex),
                },
                ReferenceKind::Count
            ]
        );
        assert_eq!(
            refs("[for s in var.l : s.id]"),
            vec![ReferenceKind::Variable("l".into())]
        );
        assert_eq!(
            refs("t.x.name"),
            vec![ReferenceKind::Resource {
                addr: ResourceAddr::new("t", "x"),
                attribute: Some("name".into()),
                indexed: false,
                index: None,
            }]
        );
    }

    #[test]
    fn finds_static_indexes() {
        let index_of = |src: &str| match refs(src)
            .into_iter()
            .find(|k| matches!(k, ReferenceKind::Resource { .. }))
        {
            Some(ReferenceKind::Resource { index, .. }) => index,
            other => panic!("{src}: not a resource reference: {other:?}"),
        };
        let cases = [
            ("t.x[each.key].id", Some(StaticIndex::EachKey)),
            ("t.x[count.index].id", Some(StaticIndex::CountIndex)),
            (
                "t.x[\"alice\"].id",
                Some(StaticIndex::Literal(InstanceKey::Str("alice".into()))),
            ),
            ("t.x[2].id", Some(StaticIndex::Literal(InstanceKey::Int(2)))),
            ("t.x.2.id", Some(StaticIndex::Literal(InstanceKey::Int(2)))),
            ("t.x[each.value].id", None),
            ("t.x[var.k].id", None),
            ("t.x[*].id", None),
            ("t.x", None),
            ("t.x.id", None),
            ("[for each in var.l : t.x[each.key]]", None),
        ];
        for (src, want) in cases {
            assert_eq!(index_of(src), want, "{src}");
        }
    }
}
