import { CTE_PREFIX } from './confine.ts'
import { isAllowedFunction } from './functions.ts'
import { Refused } from './tokens.ts'

/** One line of `EXPLAIN AST`: ` Function count (children 1)` → depth 1, type Function, name count. */
export interface AstNode {
  depth: number
  type: string
  name: string
  children: AstNode[]
}

/** Node types a plain SELECT parses into; anything else (a new clause, a DDL node) is refused. */
const NODE_TYPES = new Set([
  'SelectWithUnionQuery',
  'SelectIntersectExceptQuery',
  'SelectQuery',
  'ExpressionList',
  'Function',
  'Identifier',
  'Literal',
  'Asterisk',
  'QualifiedAsterisk',
  'ColumnsRegexpMatcher',
  'ColumnsListMatcher',
  'QualifiedColumnsRegexpMatcher',
  'QualifiedColumnsListMatcher',
  'TablesInSelectQuery',
  'TablesInSelectQueryElement',
  'TableExpression',
  'TableIdentifier',
  'TableJoin',
  'ArrayJoin',
  'Subquery',
  'OrderByElement',
  'WithElement',
  'WindowDefinition',
  'WindowListElement',
  'Set',
])

/** `x IN name` reads the table `name`; these are the functions whose right side may do that. */
const IN_FAMILY = new Set([
  'in',
  'notIn',
  'globalIn',
  'globalNotIn',
  'nullIn',
  'notNullIn',
  'globalNullIn',
  'globalNotNullIn',
])

export function parseExplainAst(lines: readonly string[]): AstNode[] {
  const roots: AstNode[] = []
  const stack: AstNode[] = []
  for (const line of lines) {
    if (line.trim() === '') continue
    const depth = line.length - line.trimStart().length
    const body = line.trim().replace(/ \(children \d+\)$/, '')
    const space = body.indexOf(' ')
    const node: AstNode = {
      depth,
      type: space === -1 ? body : body.slice(0, space),
      name: space === -1 ? '' : body.slice(space + 1).replace(/ \(alias [^)]*\)$/, ''),
      children: [],
    }
    while (stack.length > 0 && stack.at(-1)!.depth >= depth) stack.pop()
    const parent = stack.at(-1)
    if (parent) parent.children.push(node)
    else roots.push(node)
    stack.push(node)
  }
  return roots
}

/**
 * The proof step: walks the tree ClickHouse's parser built from the rewritten SQL and
 * refuses it unless every table read is one of the injected site-filtered subqueries (or a
 * renamed CTE), no table function or unknown node appears, every function is allow-listed
 * and no `IN` reads a table by name. `injected` must match the count the rewrite made, so a
 * disagreement between our lexer and the engine's cannot slip a table through.
 */
export function checkAst(
  roots: readonly AstNode[],
  database: string,
  confinedTables: readonly string[],
  injected: number,
): void {
  const confined = new Set(confinedTables.map((t) => `${database}.${t}`))
  let reads = 0
  const visit = (node: AstNode, parent: AstNode | undefined) => {
    if (!NODE_TYPES.has(node.type)) throw new Refused(`the query uses ${node.type}, which is not allowed`)
    if (node.type === 'TableExpression') {
      for (const child of node.children) {
        if (child.type === 'Function') throw new Refused(`table function \`${child.name}\` is not allowed`)
        if (child.type !== 'TableIdentifier' && child.type !== 'Subquery') {
          throw new Refused(`a table expression may only be \`events\` or a subquery (found ${child.type})`)
        }
      }
    }
    if (node.type === 'TableIdentifier') {
      if (confined.has(node.name)) reads++
      else if (!node.name.startsWith(CTE_PREFIX) || node.name.includes('.')) {
        throw new Refused(
          `table \`${node.name.replace(CTE_PREFIX, '')}\` is not readable: only \`events\` is`,
        )
      }
    }
    if (node.type === 'Function') {
      if (!isAllowedFunction(node.name)) throw new Refused(`function \`${node.name}\` is not allowed`)
      if (IN_FAMILY.has(node.name)) {
        const right = node.children[0]?.children[1]
        if (right?.type === 'Identifier') {
          throw new Refused(`\`IN ${right.name}\` would read a table; use IN (SELECT … FROM events)`)
        }
      }
    }
    if (node.type === 'Set' && parent?.type !== 'SelectQuery') throw new Refused('SETTINGS are not allowed')
    for (const child of node.children) visit(child, node)
  }
  // The last root is the output format the port asks for (`Identifier JSONEachRow`).
  const [query, ...rest] = roots
  if (query?.type !== 'SelectWithUnionQuery') throw new Refused('only a SELECT statement is allowed')
  for (const extra of rest) {
    if (extra.type !== 'Identifier' || extra.name !== 'JSONEachRow')
      throw new Refused('only one SELECT statement is allowed')
  }
  visit(query, undefined)
  if (reads !== injected) throw new Refused('the query does not parse the way it was checked; simplify it')
}
