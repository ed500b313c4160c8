// Contract fake of VIESUS Cloud's upload API (GraphQL over HTTP, `x-api-key`), written from the
// provider's published docs:
//   https://docs.viesus.com/reference/cloud-api/uploading        (createSignedUploadUrl → PUT → completeSignedUpload,
//                                                                 response fields, deleteUploads, updateFileRetention)
//   https://docs.viesus.com/reference/cloud-api/authentication   (`x-api-key` header on every request to /graphql)
//
// createUploadFromUrl never fetches: `fake.remote` says what each link holds (docs silent on how a
// failed fetch is reported: the fake answers a field error, BAD_USER_INPUT, naming the cause).
//
// One API route, `POST /graphql`, server-to-server (no CORS). Storage (`PUT /storage/<uploadId>?token=…`)
// and the files' URLs (`GET /files/<id>/<filename>`) play a correctly configured bucket (CORS on).
//
// The fake parses the GraphQL it is sent (operations, variables, inline literals, aliases, fragments,
// @skip/@include) and answers only the fields the selection set asks for, as a GraphQL server does.
// Where the docs are silent the fake behaves as an Apollo-Server-backed API over S3 would; each such
// choice is marked "docs silent" below.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { Failures, Answer, startFake, type Fake, type FakeRequest, type FakeResponse, type Remote, type StoredFile } from './common.js'

export interface ViesusFakeOptions {
  /** The key every /graphql request must carry in `x-api-key`. */
  apiKey: string
  /** Largest `filesize` createSignedUploadUrl accepts (default 100 MiB; docs silent on the real limit). */
  maxFilesize?: number
  /** How long a signed upload URL stays valid, in ms (default 15 minutes). */
  uploadUrlTtlMs?: number
  /** Clock, for expiry tests (default Date.now). */
  now?: () => number
}

export interface ViesusFake extends Fake {
  /** Make the next request to `path` ('/graphql', or '/storage' for any storage PUT) answer this instead. */
  failNext(path: string, status: number, body: unknown): void
  /** Pending signed uploads by uploadId (what createSignedUploadUrl handed out), for assertions. */
  signedUploads: Map<string, SignedUpload>
  /** Current default retention for new uploads, as set by updateFileRetention (default 30 days). */
  retentionDays(): number
  /** What each link holds, for createUploadFromUrl (a link not listed answers as a 404 would). */
  remote: Map<string, Remote>
}

export interface SignedUpload {
  uploadId: string
  token: string
  expiresAt: number
  createdAt: number
  filename: string
  filesize: number
  mimetype: string
  /** What the storage PUT delivered (the last one, if it was PUT more than once). */
  put?: { bytes: Buffer; contentType: string | undefined; at: number }
  state: 'PENDING' | 'COMPLETED' | 'FAILED'
  failure?: string
  /** The upload record's id, once completed. */
  recordId?: string
}

interface UploadRecord {
  id: string
  status: string
  filesize: number
  mimetype: string
  extension: string
  originalFilename: string
  filename: string
  width: number
  height: number
  url: string
  startedAt: string
  finishedAt: string
  duration: number
}

const MiB = 1024 * 1024
const GRAPHQL_BODY_LIMIT = 1 * MiB
const MAX_QUERY_LENGTH = 100_000
const MAX_DEPTH = 24
const MAX_DELETE_IDS = 1000 // docs silent: a bound so one call stays small

// ---------------------------------------------------------------------------------------------
// GraphQL errors
// ---------------------------------------------------------------------------------------------

interface Loc {
  line: number
  column: number
}

interface GraphQLErrorJson {
  message: string
  locations?: Loc[]
  path?: (string | number)[]
  extensions: { code: string }
}

/** A request error (parse/validation): nothing executes. */
class RequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly loc?: Loc,
  ) {
    super(message)
  }
}

/** A field (execution) error: the field, and with it the whole non-null root, is null. */
class FieldError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
  }
}

const badInput = (message: string): never => {
  throw new FieldError(message, 'BAD_USER_INPUT')
}
const invalid = (message: string, loc?: Loc): never => {
  throw new RequestError(message, 'GRAPHQL_VALIDATION_FAILED', loc)
}

// ---------------------------------------------------------------------------------------------
// A small GraphQL parser (executable documents only)
// ---------------------------------------------------------------------------------------------

type TokenKind = 'punct' | 'name' | 'int' | 'float' | 'string' | 'eof'
interface Token {
  kind: TokenKind
  value: string
  loc: Loc
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let line = 1
  let lineStart = 0
  const loc = (at: number): Loc => ({ line, column: at - lineStart + 1 })
  const fail = (msg: string, at: number): never => invalid(`Syntax Error: ${msg}`, loc(at))
  while (i < src.length) {
    const c = src[i]!
    if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++
      i++
      line++
      lineStart = i
      continue
    }
    if (c === ' ' || c === '\t' || c === ',' || c === '\ufeff') {
      i++
      continue
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n' && src[i] !== '\r') i++
      continue
    }
    const start = i
    if (c === '.') {
      if (src.startsWith('...', i)) {
        tokens.push({ kind: 'punct', value: '...', loc: loc(start) })
        i += 3
        continue
      }
      fail('Unexpected ".".', i)
    }
    if ('!$&():=@[]{}|'.includes(c)) {
      tokens.push({ kind: 'punct', value: c, loc: loc(start) })
      i++
      continue
    }
    if (/[_A-Za-z]/.test(c)) {
      while (i < src.length && /[_0-9A-Za-z]/.test(src[i]!)) i++
      tokens.push({ kind: 'name', value: src.slice(start, i), loc: loc(start) })
      continue
    }
    if (c === '-' || /[0-9]/.test(c)) {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i, i + 400))
      if (!m || m[0] === '-') fail(`Invalid number, unexpected character ${JSON.stringify(src[i + 1] ?? '<EOF>')}.`, i)
      const text = m![0]
      i += text.length
      if (i < src.length && /[_A-Za-z.0-9]/.test(src[i]!)) fail(`Invalid number, unexpected character ${JSON.stringify(src[i])}.`, i)
      tokens.push({ kind: m![2] || m![3] ? 'float' : 'int', value: text, loc: loc(start) })
      continue
    }
    if (c === '"') {
      if (src.startsWith('"""', i)) {
        // Block string: raw text up to the closing """, \""" escapes a triple quote; common indent removed.
        i += 3
        let raw = ''
        for (;;) {
          if (i >= src.length) fail('Unterminated string.', start)
          if (src.startsWith('\\"""', i)) {
            raw += '"""'
            i += 4
          } else if (src.startsWith('"""', i)) {
            i += 3
            break
          } else {
            if (src[i] === '\n') {
              line++
              lineStart = i + 1
            }
            raw += src[i]
            i++
          }
        }
        tokens.push({ kind: 'string', value: dedentBlockString(raw), loc: loc(start) })
        continue
      }
      i++
      let value = ''
      for (;;) {
        if (i >= src.length || src[i] === '\n' || src[i] === '\r') fail('Unterminated string.', start)
        const ch = src[i]!
        if (ch === '"') {
          i++
          break
        }
        if (ch === '\\') {
          const e = src[i + 1]
          const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
          if (e !== undefined && e in simple) {
            value += simple[e]
            i += 2
          } else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(src.slice(i + 2, i + 6))) {
            value += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16))
            i += 6
          } else fail(`Invalid character escape sequence: "\\${e ?? ''}".`, i)
          continue
        }
        value += ch
        i++
      }
      tokens.push({ kind: 'string', value, loc: loc(start) })
      continue
    }
    fail(`Unexpected character: ${JSON.stringify(c)}.`, i)
  }
  tokens.push({ kind: 'eof', value: '<EOF>', loc: loc(i) })
  return tokens
}

function dedentBlockString(raw: string): string {
  const lines = raw.split(/\r\n|\n|\r/)
  let common: number | null = null
  for (const l of lines.slice(1)) {
    const indent = l.length - l.trimStart().length
    if (indent < l.length && (common === null || indent < common)) common = indent
  }
  const out = lines.map((l, n) => (n === 0 || common === null ? l : l.slice(common)))
  while (out.length && out[0]!.trim() === '') out.shift()
  while (out.length && out[out.length - 1]!.trim() === '') out.pop()
  return out.join('\n')
}

type Value =
  | { kind: 'Variable'; name: string; loc: Loc }
  | { kind: 'Int'; value: string; loc: Loc }
  | { kind: 'Float'; value: string; loc: Loc }
  | { kind: 'String'; value: string; loc: Loc }
  | { kind: 'Boolean'; value: boolean; loc: Loc }
  | { kind: 'Null'; loc: Loc }
  | { kind: 'Enum'; value: string; loc: Loc }
  | { kind: 'List'; values: Value[]; loc: Loc }
  | { kind: 'Object'; fields: { name: string; value: Value }[]; loc: Loc }

type TypeRef = { kind: 'Named'; name: string } | { kind: 'List'; of: TypeRef } | { kind: 'NonNull'; of: TypeRef }

interface Directive {
  name: string
  args: Argument[]
  loc: Loc
}
interface Argument {
  name: string
  value: Value
  loc: Loc
}
interface FieldNode {
  kind: 'Field'
  alias?: string
  name: string
  args: Argument[]
  directives: Directive[]
  selections?: Selection[]
  loc: Loc
}
interface SpreadNode {
  kind: 'FragmentSpread'
  name: string
  directives: Directive[]
  loc: Loc
}
interface InlineNode {
  kind: 'InlineFragment'
  typeCondition?: string
  directives: Directive[]
  selections: Selection[]
  loc: Loc
}
type Selection = FieldNode | SpreadNode | InlineNode

interface VariableDef {
  name: string
  type: TypeRef
  defaultValue?: Value
  loc: Loc
}
interface Operation {
  operation: 'query' | 'mutation' | 'subscription'
  name?: string
  variables: VariableDef[]
  directives: Directive[]
  selections: Selection[]
  loc: Loc
}
interface FragmentDef {
  name: string
  typeCondition: string
  directives: Directive[]
  selections: Selection[]
  loc: Loc
}
interface Document {
  operations: Operation[]
  fragments: Map<string, FragmentDef>
}

class Parser {
  private pos = 0
  private depth = 0
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos]!
  }
  private next(): Token {
    const t = this.tokens[this.pos]!
    if (t.kind !== 'eof') this.pos++
    return t
  }
  private unexpected(t: Token = this.peek()): never {
    return invalid(`Syntax Error: Unexpected ${t.kind === 'eof' ? '<EOF>' : JSON.stringify(t.value)}.`, t.loc)
  }
  private isPunct(v: string): boolean {
    const t = this.peek()
    return t.kind === 'punct' && t.value === v
  }
  private expectPunct(v: string): Token {
    const t = this.peek()
    if (t.kind !== 'punct' || t.value !== v) {
      return invalid(`Syntax Error: Expected "${v}", found ${t.kind === 'eof' ? '<EOF>' : JSON.stringify(t.value)}.`, t.loc)
    }
    return this.next()
  }
  private expectName(): Token {
    const t = this.peek()
    if (t.kind !== 'name') return invalid(`Syntax Error: Expected Name, found ${t.kind === 'eof' ? '<EOF>' : JSON.stringify(t.value)}.`, t.loc)
    return this.next()
  }
  private enter(loc: Loc) {
    if (++this.depth > MAX_DEPTH) invalid('Syntax Error: Document is nested too deeply.', loc)
  }
  private leave() {
    this.depth--
  }

  document(): Document {
    const operations: Operation[] = []
    const fragments = new Map<string, FragmentDef>()
    if (this.peek().kind === 'eof') invalid('Syntax Error: Unexpected <EOF>.', this.peek().loc)
    while (this.peek().kind !== 'eof') {
      const t = this.peek()
      if (t.kind === 'punct' && t.value === '{') {
        operations.push({ operation: 'query', variables: [], directives: [], selections: this.selectionSet(), loc: t.loc })
      } else if (t.kind === 'name' && (t.value === 'query' || t.value === 'mutation' || t.value === 'subscription')) {
        this.next()
        const name = this.peek().kind === 'name' ? this.next().value : undefined
        const variables = this.isPunct('(') ? this.variableDefinitions() : []
        const directives = this.directives(false)
        operations.push({ operation: t.value, name, variables, directives, selections: this.selectionSet(), loc: t.loc })
      } else if (t.kind === 'name' && t.value === 'fragment') {
        this.next()
        const name = this.expectName()
        if (name.value === 'on') this.unexpected(name)
        const on = this.expectName()
        if (on.value !== 'on') this.unexpected(on)
        const typeCondition = this.expectName().value
        const directives = this.directives(false)
        if (fragments.has(name.value)) invalid(`There can be only one fragment named "${name.value}".`, name.loc)
        fragments.set(name.value, { name: name.value, typeCondition, directives, selections: this.selectionSet(), loc: t.loc })
      } else {
        this.unexpected(t)
      }
    }
    return { operations, fragments }
  }

  private variableDefinitions(): VariableDef[] {
    this.expectPunct('(')
    const defs: VariableDef[] = []
    while (!this.isPunct(')')) {
      const dollar = this.expectPunct('$')
      const name = this.expectName().value
      this.expectPunct(':')
      const type = this.typeRef()
      let defaultValue: Value | undefined
      if (this.isPunct('=')) {
        this.next()
        defaultValue = this.value(true)
      }
      this.directives(true)
      defs.push({ name, type, defaultValue, loc: dollar.loc })
    }
    if (defs.length === 0) this.unexpected()
    this.expectPunct(')')
    return defs
  }

  private typeRef(): TypeRef {
    let type: TypeRef
    if (this.isPunct('[')) {
      const open = this.next()
      this.enter(open.loc)
      type = { kind: 'List', of: this.typeRef() }
      this.leave()
      this.expectPunct(']')
    } else {
      type = { kind: 'Named', name: this.expectName().value }
    }
    if (this.isPunct('!')) {
      this.next()
      type = { kind: 'NonNull', of: type }
    }
    return type
  }

  private directives(isConst: boolean): Directive[] {
    const list: Directive[] = []
    while (this.isPunct('@')) {
      const at = this.next()
      const name = this.expectName().value
      list.push({ name, args: this.isPunct('(') ? this.arguments(isConst) : [], loc: at.loc })
    }
    return list
  }

  private arguments(isConst: boolean): Argument[] {
    this.expectPunct('(')
    const args: Argument[] = []
    while (!this.isPunct(')')) {
      const name = this.expectName()
      this.expectPunct(':')
      args.push({ name: name.value, value: this.value(isConst), loc: name.loc })
    }
    if (args.length === 0) this.unexpected()
    this.expectPunct(')')
    return args
  }

  private value(isConst: boolean): Value {
    const t = this.peek()
    if (t.kind === 'punct') {
      if (t.value === '$' && !isConst) {
        this.next()
        return { kind: 'Variable', name: this.expectName().value, loc: t.loc }
      }
      if (t.value === '[') {
        this.next()
        this.enter(t.loc)
        const values: Value[] = []
        while (!this.isPunct(']')) {
          if (this.peek().kind === 'eof') this.unexpected()
          values.push(this.value(isConst))
        }
        this.next()
        this.leave()
        return { kind: 'List', values, loc: t.loc }
      }
      if (t.value === '{') {
        this.next()
        this.enter(t.loc)
        const fields: { name: string; value: Value }[] = []
        while (!this.isPunct('}')) {
          const name = this.expectName()
          this.expectPunct(':')
          if (fields.some((f) => f.name === name.value)) invalid(`There can be only one input field named "${name.value}".`, name.loc)
          fields.push({ name: name.value, value: this.value(isConst) })
        }
        this.next()
        this.leave()
        return { kind: 'Object', fields, loc: t.loc }
      }
      return this.unexpected(t)
    }
    this.next()
    switch (t.kind) {
      case 'int':
        return { kind: 'Int', value: t.value, loc: t.loc }
      case 'float':
        return { kind: 'Float', value: t.value, loc: t.loc }
      case 'string':
        return { kind: 'String', value: t.value, loc: t.loc }
      case 'name':
        if (t.value === 'true' || t.value === 'false') return { kind: 'Boolean', value: t.value === 'true', loc: t.loc }
        if (t.value === 'null') return { kind: 'Null', loc: t.loc }
        return { kind: 'Enum', value: t.value, loc: t.loc }
      default:
        return this.unexpected(t)
    }
  }

  private selectionSet(): Selection[] {
    const open = this.expectPunct('{')
    this.enter(open.loc)
    const selections: Selection[] = []
    while (!this.isPunct('}')) selections.push(this.selection())
    if (selections.length === 0) this.unexpected()
    this.next()
    this.leave()
    return selections
  }

  private selection(): Selection {
    const t = this.peek()
    if (t.kind === 'punct' && t.value === '...') {
      this.next()
      const p = this.peek()
      if (p.kind === 'name' && p.value !== 'on') {
        this.next()
        return { kind: 'FragmentSpread', name: p.value, directives: this.directives(false), loc: t.loc }
      }
      let typeCondition: string | undefined
      if (p.kind === 'name' && p.value === 'on') {
        this.next()
        typeCondition = this.expectName().value
      }
      return { kind: 'InlineFragment', typeCondition, directives: this.directives(false), selections: this.selectionSet(), loc: t.loc }
    }
    const first = this.expectName()
    let alias: string | undefined
    let name = first.value
    if (this.isPunct(':')) {
      this.next()
      alias = first.value
      name = this.expectName().value
    }
    const args = this.isPunct('(') ? this.arguments(false) : []
    const directives = this.directives(false)
    const selections = this.isPunct('{') ? this.selectionSet() : undefined
    return { kind: 'Field', alias, name, args, directives, selections, loc: first.loc }
  }
}

function parseTypeString(s: string): TypeRef {
  const tokens = tokenize(s)
  const p = new Parser(tokens) as unknown as { typeRef(): TypeRef }
  return p.typeRef()
}

const printType = (t: TypeRef): string => (t.kind === 'Named' ? t.name : t.kind === 'List' ? `[${printType(t.of)}]` : `${printType(t.of)}!`)

// ---------------------------------------------------------------------------------------------
// The schema (the part of VIESUS Cloud's that uploading touches)
// ---------------------------------------------------------------------------------------------

interface FieldDef {
  type: TypeRef
  args: Record<string, TypeRef>
}
const field = (type: string, args: Record<string, string> = {}): FieldDef => ({
  type: parseTypeString(type),
  args: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, parseTypeString(v)])),
})

const SCALARS = new Set(['String', 'Int', 'Float', 'Boolean', 'ID'])

// Type names beyond the input type are not in the docs (docs silent); they only show in __typename.
const OBJECT_TYPES: Record<string, Record<string, FieldDef>> = {
  Query: {},
  Mutation: {
    createSignedUploadUrl: field('SignedUploadUrl!', { input: 'CreateSignedUploadUrlInput!' }),
    completeSignedUpload: field('Upload!', { id: 'String!' }),
    createUploadFromUrl: field('Upload!', { input: 'CreateUploadFromUrlInput!' }),
    deleteUploads: field('DeleteUploadsResult!', { ids: '[String!]!' }),
    updateFileRetention: field('FileRetention!', { days: 'Int!' }),
  },
  SignedUploadUrl: {
    uploadId: field('String!'),
    uploadUrl: field('String!'),
  },
  Upload: {
    id: field('String!'),
    status: field('String!'),
    filesize: field('Int!'),
    mimetype: field('String!'),
    extension: field('String!'),
    originalFilename: field('String!'),
    filename: field('String!'),
    width: field('Int!'),
    height: field('Int!'),
    url: field('String!'),
    startedAt: field('String!'),
    finishedAt: field('String!'),
    duration: field('Int!'),
  },
  DeleteUploadsResult: {
    deletedUploadIds: field('[String!]!'),
  },
  FileRetention: {
    uploadRetentionDays: field('Int!'),
  },
}

const INPUT_TYPES: Record<string, Record<string, TypeRef>> = {
  CreateSignedUploadUrlInput: {
    filename: parseTypeString('String!'),
    filesize: parseTypeString('Int!'),
    mimetype: parseTypeString('String!'),
  },
  CreateUploadFromUrlInput: {
    url: parseTypeString('String!'),
  },
}

const namedType = (t: TypeRef): string => (t.kind === 'Named' ? t.name : namedType(t.of))
const isKnownType = (name: string) => SCALARS.has(name) || name in INPUT_TYPES || name in OBJECT_TYPES
const isInputType = (name: string) => SCALARS.has(name) || name in INPUT_TYPES

// ---------------------------------------------------------------------------------------------
// Validation (request errors: GRAPHQL_VALIDATION_FAILED, nothing runs)
// ---------------------------------------------------------------------------------------------

/** Can a variable of type `v` be used where `loc` is expected? ID and String are taken as one (docs silent on which the API declares). */
function typeFits(v: TypeRef, loc: TypeRef): boolean {
  if (loc.kind === 'NonNull') return v.kind === 'NonNull' && typeFits(v.of, loc.of)
  if (v.kind === 'NonNull') return typeFits(v.of, loc)
  if (loc.kind === 'List') return v.kind === 'List' && typeFits(v.of, loc.of)
  if (v.kind === 'List') return false
  const same = (n: string) => (n === 'ID' ? 'String' : n)
  return same(v.name) === same(loc.name)
}

function validateValue(value: Value, type: TypeRef, defs: Map<string, VariableDef>, used: Set<string>) {
  if (value.kind === 'Variable') {
    const def = defs.get(value.name)
    if (!def) return invalid(`Variable "$${value.name}" is not defined.`, value.loc)
    used.add(value.name)
    // A nullable variable with a non-null default may fill a non-null position, as in graphql-js.
    const varType: TypeRef =
      def.type.kind !== 'NonNull' && def.defaultValue && def.defaultValue.kind !== 'Null' ? { kind: 'NonNull', of: def.type } : def.type
    if (!typeFits(varType, type)) {
      invalid(`Variable "$${value.name}" of type "${printType(def.type)}" used in position expecting type "${printType(type)}".`, value.loc)
    }
    return
  }
  const inner = type.kind === 'NonNull' ? type.of : type
  if (value.kind === 'List') {
    for (const v of value.values) validateValue(v, inner.kind === 'List' ? inner.of : inner, defs, used)
  } else if (value.kind === 'Object' && inner.kind === 'Named' && inner.name in INPUT_TYPES) {
    const fields = INPUT_TYPES[inner.name]!
    for (const f of value.fields) {
      const ft = fields[f.name]
      if (ft) validateValue(f.value, ft, defs, used)
      else validateNoVariables(f.value, defs, used)
    }
  } else validateNoVariables(value, defs, used)
}

function validateNoVariables(value: Value, defs: Map<string, VariableDef>, used: Set<string>) {
  if (value.kind === 'Variable') {
    if (!defs.has(value.name)) invalid(`Variable "$${value.name}" is not defined.`, value.loc)
    used.add(value.name)
  } else if (value.kind === 'List') value.values.forEach((v) => validateNoVariables(v, defs, used))
  else if (value.kind === 'Object') value.fields.forEach((f) => validateNoVariables(f.value, defs, used))
}

function validateDirectives(directives: Directive[], defs: Map<string, VariableDef>, used: Set<string>) {
  for (const d of directives) {
    if (d.name !== 'skip' && d.name !== 'include') invalid(`Unknown directive "@${d.name}".`, d.loc)
    const ifArg = d.args.find((a) => a.name === 'if')
    if (!ifArg || d.args.length !== 1) invalid(`Directive "@${d.name}" argument "if" of type "Boolean!" is required.`, d.loc)
    validateValue(ifArg!.value, parseTypeString('Boolean!'), defs, used)
  }
}

function validateSelections(
  selections: Selection[],
  typeName: string,
  doc: Document,
  defs: Map<string, VariableDef>,
  used: Set<string>,
  seenFragments: string[],
) {
  const fields = OBJECT_TYPES[typeName]!
  const keys = new Map<string, string>()
  for (const sel of selections) {
    validateDirectives(sel.directives, defs, used)
    if (sel.kind === 'FragmentSpread') {
      const frag = doc.fragments.get(sel.name)
      if (!frag) return invalid(`Unknown fragment "${sel.name}".`, sel.loc)
      if (seenFragments.includes(sel.name)) return invalid(`Cannot spread fragment "${sel.name}" within itself.`, sel.loc)
      if (frag.typeCondition !== typeName) {
        invalid(`Fragment "${sel.name}" cannot be spread here as objects of type "${typeName}" can never be of type "${frag.typeCondition}".`, sel.loc)
      }
      validateSelections(frag.selections, typeName, doc, defs, used, [...seenFragments, sel.name])
      continue
    }
    if (sel.kind === 'InlineFragment') {
      if (sel.typeCondition !== undefined && sel.typeCondition !== typeName) {
        if (!isKnownType(sel.typeCondition)) invalid(`Unknown type "${sel.typeCondition}".`, sel.loc)
        invalid(`Fragment cannot be spread here as objects of type "${typeName}" can never be of type "${sel.typeCondition}".`, sel.loc)
      }
      validateSelections(sel.selections, typeName, doc, defs, used, seenFragments)
      continue
    }
    const key = sel.alias ?? sel.name
    const prior = keys.get(key)
    if (prior !== undefined && prior !== sel.name) {
      invalid(`Fields "${key}" conflict because "${prior}" and "${sel.name}" are different fields.`, sel.loc)
    }
    keys.set(key, sel.name)
    if (sel.name === '__typename') {
      if (sel.args.length) invalid(`Unknown argument "${sel.args[0]!.name}" on field "${typeName}.__typename".`, sel.args[0]!.loc)
      if (sel.selections) invalid(`Field "__typename" must not have a selection since type "String!" has no subfields.`, sel.loc)
      continue
    }
    const def = fields[sel.name]
    if (!def) return invalid(`Cannot query field "${sel.name}" on type "${typeName}".`, sel.loc)
    for (const a of sel.args) {
      const at = def.args[a.name]
      if (!at) return invalid(`Unknown argument "${a.name}" on field "${typeName}.${sel.name}".`, a.loc)
      if (sel.args.filter((b) => b.name === a.name).length > 1) invalid(`There can be only one argument named "${a.name}".`, a.loc)
      validateValue(a.value, at, defs, used)
    }
    for (const [argName, at] of Object.entries(def.args)) {
      if (at.kind === 'NonNull' && !sel.args.some((a) => a.name === argName)) {
        invalid(`Field "${sel.name}" argument "${argName}" of type "${printType(at)}" is required, but it was not provided.`, sel.loc)
      }
    }
    const inner = namedType(def.type)
    if (inner in OBJECT_TYPES) {
      if (!sel.selections) invalid(`Field "${sel.name}" of type "${printType(def.type)}" must have a selection of subfields. Did you mean "${sel.name} { ... }"?`, sel.loc)
      validateSelections(sel.selections!, inner, doc, defs, used, seenFragments)
    } else if (sel.selections) {
      invalid(`Field "${sel.name}" must not have a selection since type "${printType(def.type)}" has no subfields.`, sel.loc)
    }
  }
}

function validate(doc: Document, op: Operation) {
  const defs = new Map<string, VariableDef>()
  for (const d of op.variables) {
    if (defs.has(d.name)) invalid(`There can be only one variable named "$${d.name}".`, d.loc)
    const n = namedType(d.type)
    if (!isKnownType(n)) invalid(`Unknown type "${n}".`, d.loc)
    if (!isInputType(n)) invalid(`Variable "$${d.name}" cannot be non-input type "${printType(d.type)}".`, d.loc)
    defs.set(d.name, d)
  }
  if (op.operation === 'subscription') invalid('Schema is not configured to execute subscription operation.', op.loc)
  const used = new Set<string>()
  validateDirectives(op.directives, defs, used)
  if (op.directives.length) invalid(`Directive "@${op.directives[0]!.name}" may not be used on ${op.operation.toUpperCase()}.`, op.loc)
  validateSelections(op.selections, op.operation === 'mutation' ? 'Mutation' : 'Query', doc, defs, used, [])
  for (const d of op.variables) {
    if (!used.has(d.name)) invalid(`Variable "$${d.name}" is never used${op.name ? ` in operation "${op.name}"` : ''}.`, d.loc)
  }
}

// ---------------------------------------------------------------------------------------------
// Input coercion (execution: BAD_USER_INPUT)
// ---------------------------------------------------------------------------------------------

const INT_MAX = 2 ** 31 - 1
const INT_MIN = -(2 ** 31)
const show = (v: unknown) => JSON.stringify(v) ?? String(v)

/** Coerces a JSON value from `variables` to `type`; throws a message on failure. */
function coerceJson(v: unknown, type: TypeRef, where: string): unknown {
  if (type.kind === 'NonNull') {
    if (v === null || v === undefined) throw new Error(`${where}Expected non-nullable type "${printType(type)}" not to be null.`)
    return coerceJson(v, type.of, where)
  }
  if (v === null || v === undefined) return null
  if (type.kind === 'List') {
    return Array.isArray(v) ? v.map((item, n) => coerceJson(item, type.of, `${where}At index ${n}: `)) : [coerceJson(v, type.of, where)]
  }
  const name = type.name
  if (name in INPUT_TYPES) {
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where}Expected type "${name}" to be an object.`)
    const fields = INPUT_TYPES[name]!
    const obj = v as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(obj)) if (!(k in fields)) throw new Error(`${where}Field "${k}" is not defined by type "${name}".`)
    for (const [k, ft] of Object.entries(fields)) {
      if (!(k in obj) || obj[k] === undefined) {
        if (ft.kind === 'NonNull') throw new Error(`${where}Field "${k}" of required type "${printType(ft)}" was not provided.`)
        continue
      }
      out[k] = coerceJson(obj[k], ft, `${where}At "${k}": `)
    }
    return out
  }
  switch (name) {
    case 'Int':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${where}Int cannot represent non-integer value: ${show(v)}`)
      if (v > INT_MAX || v < INT_MIN) throw new Error(`${where}Int cannot represent non 32-bit signed integer value: ${show(v)}`)
      return v
    case 'Float':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}Float cannot represent non numeric value: ${show(v)}`)
      return v
    case 'String':
      if (typeof v !== 'string') throw new Error(`${where}String cannot represent a non string value: ${show(v)}`)
      return v
    case 'ID':
      if (typeof v === 'string') return v
      if (typeof v === 'number' && Number.isInteger(v)) return String(v)
      throw new Error(`${where}ID cannot represent value: ${show(v)}`)
    case 'Boolean':
      if (typeof v !== 'boolean') throw new Error(`${where}Boolean cannot represent a non boolean value: ${show(v)}`)
      return v
  }
  throw new Error(`${where}Unknown type "${name}".`)
}

const printValue = (v: Value): string => {
  switch (v.kind) {
    case 'Variable':
      return `$${v.name}`
    case 'String':
      return JSON.stringify(v.value)
    case 'Null':
      return 'null'
    case 'Boolean':
      return String(v.value)
    case 'List':
      return `[${v.values.map(printValue).join(', ')}]`
    case 'Object':
      return `{ ${v.fields.map((f) => `${f.name}: ${printValue(f.value)}`).join(', ')} }`
    default:
      return v.value
  }
}

/** Coerces an argument literal (with variables substituted) to `type`; FieldError BAD_USER_INPUT on failure. */
function coerceLiteral(v: Value, type: TypeRef, vars: Record<string, unknown>): unknown {
  if (v.kind === 'Variable') {
    const has = Object.prototype.hasOwnProperty.call(vars, v.name)
    const value = has ? vars[v.name] : undefined
    if ((value === undefined || value === null) && type.kind === 'NonNull') {
      return badInput(`Argument value ${printValue(v)} of required type "${printType(type)}" was not provided or is null.`)
    }
    return value === undefined ? undefined : value
  }
  if (type.kind === 'NonNull') {
    if (v.kind === 'Null') return badInput(`Expected value of non-null type "${printType(type)}", found null.`)
    return coerceLiteral(v, type.of, vars)
  }
  if (v.kind === 'Null') return null
  if (type.kind === 'List') {
    return v.kind === 'List' ? v.values.map((item) => coerceLiteral(item, type.of, vars)) : [coerceLiteral(v, type.of, vars)]
  }
  const name = type.name
  const wrong = (): never => badInput(`${name} cannot represent value: ${printValue(v)}`)
  if (name in INPUT_TYPES) {
    if (v.kind !== 'Object') return badInput(`Expected value of type "${name}", found ${printValue(v)}.`)
    const fields = INPUT_TYPES[name]!
    const out: Record<string, unknown> = {}
    for (const f of v.fields) if (!(f.name in fields)) badInput(`Field "${f.name}" is not defined by type "${name}".`)
    for (const [k, ft] of Object.entries(fields)) {
      const given = v.fields.find((f) => f.name === k)
      const value = given ? coerceLiteral(given.value, ft, vars) : undefined
      if (value === undefined) {
        if (ft.kind === 'NonNull') badInput(`Field "${name}.${k}" of required type "${printType(ft)}" was not provided.`)
        continue
      }
      out[k] = value
    }
    return out
  }
  switch (name) {
    case 'Int': {
      if (v.kind !== 'Int') return badInput(`Int cannot represent non-integer value: ${printValue(v)}`)
      const n = Number(v.value)
      if (n > INT_MAX || n < INT_MIN) badInput(`Int cannot represent non 32-bit signed integer value: ${v.value}`)
      return n
    }
    case 'Float':
      if (v.kind !== 'Int' && v.kind !== 'Float') return wrong()
      return Number((v as { value: string }).value)
    case 'String':
      if (v.kind !== 'String') return badInput(`String cannot represent a non string value: ${printValue(v)}`)
      return v.value
    case 'ID':
      if (v.kind !== 'String' && v.kind !== 'Int') return wrong()
      return (v as { value: string }).value
    case 'Boolean':
      if (v.kind !== 'Boolean') return badInput(`Boolean cannot represent a non boolean value: ${printValue(v)}`)
      return v.value
  }
  return wrong()
}

function coerceVariables(op: Operation, given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const d of op.variables) {
    const has = Object.prototype.hasOwnProperty.call(given, d.name) && given[d.name] !== undefined
    if (!has) {
      if (d.defaultValue) out[d.name] = coerceLiteral(d.defaultValue, d.type, {})
      else if (d.type.kind === 'NonNull') badInput(`Variable "$${d.name}" of required type "${printType(d.type)}" was not provided.`)
      continue
    }
    try {
      out[d.name] = coerceJson(given[d.name], d.type, '')
    } catch (err) {
      if (err instanceof FieldError) throw err
      badInput(`Variable "$${d.name}" got invalid value ${show(given[d.name])}; ${(err as Error).message}`)
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Executing selections against plain result objects
// ---------------------------------------------------------------------------------------------

function included(directives: Directive[], vars: Record<string, unknown>): boolean {
  for (const d of directives) {
    const arg = d.args.find((a) => a.name === 'if')!
    const on = coerceLiteral(arg.value, parseTypeString('Boolean!'), vars) as boolean
    if (d.name === 'skip' && on) return false
    if (d.name === 'include' && !on) return false
  }
  return true
}

/** The fields of a selection set in order, fragments expanded (types were checked by validate). */
function collectFields(selections: Selection[], doc: Document, vars: Record<string, unknown>, out: FieldNode[] = []): FieldNode[] {
  for (const sel of selections) {
    if (!included(sel.directives, vars)) continue
    if (sel.kind === 'Field') out.push(sel)
    else if (sel.kind === 'InlineFragment') collectFields(sel.selections, doc, vars, out)
    else collectFields(doc.fragments.get(sel.name)!.selections, doc, vars, out)
  }
  return out
}

/** Answers exactly the requested fields of a result object (all our result fields are scalars or lists of them). */
function project(obj: Record<string, unknown>, typeName: string, selections: Selection[], doc: Document, vars: Record<string, unknown>) {
  const out: Record<string, unknown> = {}
  for (const f of collectFields(selections, doc, vars)) {
    out[f.alias ?? f.name] = f.name === '__typename' ? typeName : obj[f.name]
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Files: sniffing and dimensions
// ---------------------------------------------------------------------------------------------

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/tiff': 'tif',
  'image/heic': 'heic',
  'image/avif': 'avif',
  'image/bmp': 'bmp',
  'application/pdf': 'pdf',
}

/** The type the bytes say they are, for the formats with an unmistakable signature; undefined otherwise. */
function sniff(b: Buffer): string | undefined {
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg'
  if (b.length >= 6 && (b.subarray(0, 6).toString('latin1') === 'GIF87a' || b.subarray(0, 6).toString('latin1') === 'GIF89a')) return 'image/gif'
  if (b.length >= 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp'
  if (b.length >= 5 && b.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf'
  return undefined
}

/** Width and height from a PNG's IHDR, a JPEG's SOF marker or a GIF's screen descriptor; 0×0 otherwise (as for PDFs). */
export function imageSize(b: Buffer): { width: number; height: number } {
  const type = sniff(b)
  if (type === 'image/png' && b.length >= 24 && b.subarray(12, 16).toString('latin1') === 'IHDR') {
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
  }
  if (type === 'image/gif' && b.length >= 10) return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) }
  if (type === 'image/jpeg') {
    let i = 2
    // Walk the marker segments (bounded by the buffer) to the first start-of-frame.
    while (i + 4 <= b.length) {
      if (b[i] !== 0xff) break
      const marker = b[i + 1]!
      if (marker === 0xff) {
        i++
        continue
      }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        i += 2
        continue
      }
      if (marker === 0xd9 || marker === 0xda) break
      const len = b.readUInt16BE(i + 2)
      if (len < 2) break
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
      if (isSof && i + 9 <= b.length) return { width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) }
      i += 2 + len
    }
  }
  return { width: 0, height: 0 }
}

const s3Error = (status: number, code: string, message: string, extra = ''): FakeResponse => ({
  status,
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`,
  headers: { 'content-type': 'application/xml' },
})

const gqlErrors = (status: number, errors: GraphQLErrorJson[], withData = true): FakeResponse => ({
  status,
  body: withData ? { data: null, errors } : { errors },
})

// ---------------------------------------------------------------------------------------------
// The fake
// ---------------------------------------------------------------------------------------------

export async function startViesusFake(options: ViesusFakeOptions): Promise<ViesusFake> {
  const maxFilesize = options.maxFilesize ?? 100 * MiB
  const ttl = options.uploadUrlTtlMs ?? 15 * 60 * 1000
  const now = options.now ?? Date.now
  const stored = new Map<string, StoredFile>()
  const signedUploads = new Map<string, SignedUpload>()
  const records = new Map<string, UploadRecord>()
  const remote = new Map<string, Remote>()
  // A queued path matches exactly; '/storage' matches any storage PUT.
  const failures = new Failures((key, path) => key === path || (key === '/storage' && path.startsWith('/storage/')))
  let retention = 30
  let base = ''


  // --- resolvers: each returns the full result object; the selection set picks from it ---

  const resolvers: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    createSignedUploadUrl(args) {
      const input = args.input as { filename: string; filesize: number; mimetype: string }
      const filename = input.filename
      // docs silent on filename rules: a well-run API wants a plain, non-empty name of sane length.
      if (filename.trim() === '') badInput('filename must not be empty.')
      if (filename.length > 255) badInput('filename must be at most 255 characters.')
      if (/[\u0000-\u001f/\\]/.test(filename)) badInput('filename must not contain path separators or control characters.')
      if (!(input.filesize > 0)) badInput(`filesize must be a positive integer (bytes), got ${input.filesize}.`)
      if (input.filesize > maxFilesize) badInput(`File is too large: filesize ${input.filesize} bytes exceeds the maximum of ${maxFilesize} bytes.`)
      if (!/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i.test(input.mimetype)) {
        badInput(`mimetype must be a MIME type of the form type/subtype, got ${JSON.stringify(input.mimetype)}.`)
      }
      const uploadId = randomUUID()
      const token = randomBytes(24).toString('hex')
      const t = now()
      signedUploads.set(uploadId, {
        uploadId,
        token,
        createdAt: t,
        expiresAt: t + ttl,
        filename,
        filesize: input.filesize,
        mimetype: input.mimetype,
        state: 'PENDING',
      })
      return { uploadId, uploadUrl: `${base}/storage/${uploadId}?token=${token}` }
    },

    completeSignedUpload(args) {
      const id = args.id as string
      const up = signedUploads.get(id)
      if (!up) throw new FieldError(`Upload "${id}" not found.`, 'NOT_FOUND')
      if (up.state === 'COMPLETED') badInput(`Upload "${id}" has already been completed (as upload "${up.recordId}").`)
      if (up.state === 'FAILED') badInput(`Upload "${id}" has failed: ${up.failure} Request a new signed upload URL.`)
      const fail = (reason: string): never => {
        // The docs: wrong filesize/mimetype "cause the upload to fail at the final step" — it stays failed.
        up.state = 'FAILED'
        up.failure = reason
        return badInput(`Upload "${id}" failed: ${reason}`)
      }
      if (!up.put) badInput(`Upload "${id}" has no file yet: PUT the file to the signed uploadUrl before completing.`)
      const put = up.put!
      if (put.bytes.length !== up.filesize) {
        fail(`filesize mismatch: declared ${up.filesize} bytes, but ${put.bytes.length} bytes were uploaded.`)
      }
      const declared = up.mimetype.toLowerCase()
      const sent = put.contentType?.trim().toLowerCase()
      if (sent === undefined) fail(`mimetype mismatch: declared "${up.mimetype}", but the file was PUT without a Content-Type.`)
      if (sent !== declared) fail(`mimetype mismatch: declared "${up.mimetype}", but the file was PUT with Content-Type "${put.contentType}".`)
      // "Detected MIME type": where the bytes carry a known signature it must agree with the declared type.
      const detected = sniff(put.bytes)
      if (detected && detected !== declared && !(detected === 'image/jpeg' && declared === 'image/jpg')) {
        fail(`mimetype mismatch: declared "${up.mimetype}", but the file content is "${detected}".`)
      }
      const started = now()
      const recordId = randomUUID()
      const fromName = /\.([A-Za-z0-9]{1,10})$/.exec(up.filename)?.[1]?.toLowerCase()
      const extension = EXTENSIONS[declared] ?? fromName ?? 'bin'
      const storageName = `${recordId}.${extension}`
      const { width, height } = imageSize(put.bytes)
      const finished = Math.max(now(), started)
      const record: UploadRecord = {
        id: recordId,
        status: 'COMPLETED',
        filesize: put.bytes.length,
        mimetype: up.mimetype,
        extension,
        originalFilename: up.filename,
        filename: storageName,
        width,
        height,
        url: `${base}/files/${recordId}/${storageName}`,
        startedAt: new Date(up.createdAt).toISOString(),
        finishedAt: new Date(finished).toISOString(),
        duration: Math.max(0, finished - up.createdAt),
      }
      up.state = 'COMPLETED'
      up.recordId = recordId
      records.set(recordId, record)
      stored.set(recordId, {
        bytes: put.bytes,
        type: up.mimetype,
        name: up.filename,
        meta: { uploadId: up.uploadId, filename: storageName, extension, width: String(width), height: String(height), retentionDays: String(retention) },
      })
      return { ...record }
    },

    createUploadFromUrl(args) {
      const { url } = args.input as { url: string }
      let parsed: URL | undefined
      try {
        parsed = new URL(url)
      } catch {
        // not a URL
      }
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) badInput(`url must be an http or https URL, got ${JSON.stringify(url)}.`)
      const file = remote.get(url)
      if (file === undefined) badInput(`Could not fetch ${url}: the server answered 404 Not Found.`)
      if (file === 'unreachable') badInput(`Could not fetch ${url}: the host could not be reached.`)
      const { bytes, type } = file as Exclude<Remote, 'unreachable'>
      if (bytes.length === 0) badInput(`Could not fetch ${url}: the file is empty.`)
      if (bytes.length > maxFilesize) badInput(`File is too large: ${bytes.length} bytes exceeds the maximum of ${maxFilesize} bytes.`)
      const started = now()
      const recordId = randomUUID()
      const originalFilename = decodeURIComponent(parsed!.pathname.split('/').pop() ?? '') || 'file'
      // "Detected MIME type": the bytes' signature where they carry one, else what the link served.
      const mimetype = sniff(bytes) ?? type.split(';')[0]!.trim().toLowerCase()
      const extension = EXTENSIONS[mimetype] ?? /\.([A-Za-z0-9]{1,10})$/.exec(originalFilename)?.[1]?.toLowerCase() ?? 'bin'
      const storageName = `${recordId}.${extension}`
      const { width, height } = imageSize(bytes)
      const finished = Math.max(now(), started)
      const record: UploadRecord = {
        id: recordId,
        status: 'COMPLETED',
        filesize: bytes.length,
        mimetype,
        extension,
        originalFilename,
        filename: storageName,
        width,
        height,
        url: `${base}/files/${recordId}/${storageName}`,
        startedAt: new Date(started).toISOString(),
        finishedAt: new Date(finished).toISOString(),
        duration: finished - started,
      }
      records.set(recordId, record)
      stored.set(recordId, { bytes, type: mimetype, name: originalFilename, meta: { sourceUrl: url, filename: storageName, extension, retentionDays: String(retention) } })
      return { ...record }
    },

    deleteUploads(args) {
      const ids = args.ids as string[]
      if (ids.length > MAX_DELETE_IDS) badInput(`At most ${MAX_DELETE_IDS} ids can be deleted at once.`)
      // docs silent on unknown ids: answered like an idempotent delete, listing only the ids that were deleted.
      const deletedUploadIds: string[] = []
      for (const id of ids) {
        if (records.delete(id)) {
          stored.delete(id)
          deletedUploadIds.push(id)
        }
      }
      return { deletedUploadIds }
    },

    updateFileRetention(args) {
      const days = args.days as number
      // docs silent on the range: a positive number of days, at most a year.
      if (days < 1 || days > 365) badInput(`days must be between 1 and 365, got ${days}.`)
      retention = days
      return { uploadRetentionDays: days }
    },
  }

  // --- /graphql ---

  async function graphql(req: FakeRequest): Promise<FakeResponse> {
    const key = req.headers['x-api-key']
    if (typeof key !== 'string' || key !== options.apiKey) {
      // Auth fails before anything else, as HTTP 401 (docs: the key goes on every request).
      return gqlErrors(401, [{ message: key === undefined ? 'Missing API key: send it in the x-api-key header.' : 'Invalid API key.', extensions: { code: 'UNAUTHENTICATED' } }], false)
    }
    const badRequest = (status: number, message: string) => gqlErrors(status, [{ message, extensions: { code: 'BAD_REQUEST' } }])
    if (req.method !== 'POST') return { ...badRequest(405, 'Only POST is supported on /graphql.'), headers: { allow: 'POST' } }
    // Apollo-style CSRF prevention: the body must be declared JSON.
    const ctype = String(req.headers['content-type'] ?? '')
    if (!/^application\/(graphql-response\+)?json\s*(;|$)/i.test(ctype)) {
      return badRequest(400, 'Content-Type must be application/json.')
    }
    let raw: Buffer
    try {
      raw = await req.body(GRAPHQL_BODY_LIMIT)
    } catch (err) {
      if (err instanceof Answer && err.response.status === 413) {
        return gqlErrors(413, [{ message: `Request body exceeds ${GRAPHQL_BODY_LIMIT} bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }])
      }
      throw err
    }
    let body: unknown
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      return badRequest(400, 'The request body is not valid JSON.')
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest(400, 'The request body must be a JSON object.')
    const { query, variables, operationName } = body as Record<string, unknown>
    if (typeof query !== 'string' || query.trim() === '') return badRequest(400, 'GraphQL operations must contain a non-empty `query`.')
    if (query.length > MAX_QUERY_LENGTH) return badRequest(400, `The query exceeds ${MAX_QUERY_LENGTH} characters.`)
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
      return badRequest(400, '`variables` must be an object.')
    }
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
      return badRequest(400, '`operationName` must be a string.')
    }

    // Parse and validate: request errors, nothing runs. Answered 400 as Apollo Server does.
    let doc: Document
    let op: Operation
    try {
      doc = new Parser(tokenize(query)).document()
      for (const f of doc.fragments.values()) {
        if (!(f.typeCondition in OBJECT_TYPES)) invalid(`Unknown type "${f.typeCondition}".`, f.loc)
      }
      const named = doc.operations.filter((o) => o.name !== undefined).map((o) => o.name!)
      if (new Set(named).size !== named.length) invalid('There can be only one operation of each name.')
      if (doc.operations.length === 0) invalid('Must provide an operation.')
      if (doc.operations.length > 1 && doc.operations.some((o) => o.name === undefined)) {
        invalid('This anonymous operation must be the only defined operation.', doc.operations.find((o) => !o.name)!.loc)
      }
      if (typeof operationName === 'string') {
        const found = doc.operations.find((o) => o.name === operationName)
        if (!found) invalid(`Unknown operation named "${operationName}".`)
        op = found!
      } else {
        if (doc.operations.length > 1) invalid('Must provide operation name if query contains multiple operations.')
        op = doc.operations[0]!
      }
      for (const o of doc.operations) validate(doc, o)
      const fragUsed = new Set<string>()
      const mark = (sels: Selection[], depth: number) => {
        if (depth > MAX_DEPTH) return
        for (const s of sels) {
          if (s.kind === 'FragmentSpread' && !fragUsed.has(s.name)) {
            fragUsed.add(s.name)
            mark(doc.fragments.get(s.name)!.selections, depth + 1)
          } else if (s.kind !== 'FragmentSpread' && s.selections) mark(s.selections, depth + 1)
        }
      }
      doc.operations.forEach((o) => mark(o.selections, 0))
      for (const f of doc.fragments.values()) if (!fragUsed.has(f.name)) invalid(`Fragment "${f.name}" is never used.`, f.loc)
    } catch (err) {
      if (err instanceof RequestError) {
        return gqlErrors(400, [{ message: err.message, ...(err.loc ? { locations: [err.loc] } : {}), extensions: { code: err.code } }])
      }
      throw err
    }

    // Execute: root fields serially (mutation semantics); every root field is non-null, so the first
    // field error makes `data` null and stops the rest, as graphql-js does.
    let vars: Record<string, unknown>
    try {
      vars = coerceVariables(op!, (variables ?? {}) as Record<string, unknown>)
    } catch (err) {
      if (err instanceof FieldError) return gqlErrors(200, [{ message: err.message, extensions: { code: err.code } }])
      throw err
    }
    const rootType = op!.operation === 'mutation' ? 'Mutation' : 'Query'
    const data: Record<string, unknown> = {}
    let current: FieldNode | undefined
    try {
      for (const f of collectFields(op!.selections, doc!, vars)) {
        current = f
        const key = f.alias ?? f.name
        if (key in data) continue // same response key twice: one field (validation made them agree)
        if (f.name === '__typename') {
          data[key] = rootType
          continue
        }
        const def = OBJECT_TYPES[rootType]![f.name]!
        const args: Record<string, unknown> = {}
        for (const [argName, at] of Object.entries(def.args)) {
          const given = f.args.find((a) => a.name === argName)
          if (given) {
            const v = coerceLiteral(given.value, at, vars)
            if (v !== undefined) args[argName] = v
          }
        }
        const result = resolvers[f.name]!(args)
        data[key] = project(result, namedType(def.type), f.selections!, doc!, vars)
      }
    } catch (err) {
      if (err instanceof FieldError) {
        return gqlErrors(200, [
          {
            message: err.message,
            ...(current ? { locations: [current.loc], path: [current.alias ?? current.name] } : {}),
            extensions: { code: err.code },
          },
        ])
      }
      throw err
    }
    return { status: 200, body: { data } }
  }

  // --- storage: PUT /storage/<uploadId>?token=… (a presigned S3 PUT) ---

  async function storagePut(req: FakeRequest, uploadId: string): Promise<FakeResponse> {
    const token = req.query.get('token')
    if (token === null || token === '') {
      return s3Error(403, 'AccessDenied', 'Query-string authentication requires the token parameter.')
    }
    const up = signedUploads.get(uploadId)
    if (!up || token !== up.token) {
      return s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.')
    }
    if (req.method !== 'PUT') {
      // The signature covers the method: a presigned PUT URL used with another method does not match.
      return s3Error(403, 'SignatureDoesNotMatch', `The request signature we calculated does not match the signature you provided (signed for PUT, got ${req.method}).`)
    }
    if (now() > up.expiresAt) return s3Error(403, 'AccessDenied', 'Request has expired', `<Expires>${new Date(up.expiresAt).toISOString()}</Expires>`)
    if (up.state !== 'PENDING') {
      // docs silent: once the upload is completed (or has failed) its signed URL is spent.
      return s3Error(403, 'AccessDenied', `This upload is ${up.state.toLowerCase()}; its signed URL can no longer be used.`)
    }
    const lengthHeader = req.headers['content-length']
    if (lengthHeader === undefined) {
      return s3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.')
    }
    const length = Number(lengthHeader)
    if (length > maxFilesize) {
      return s3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', `<ProposedSize>${length}</ProposedSize><MaxSizeAllowed>${maxFilesize}</MaxSizeAllowed>`)
    }
    let bytes: Buffer
    try {
      bytes = await req.body(maxFilesize)
    } catch (err) {
      if (err instanceof Answer && err.response.status === 413) return s3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size')
      throw err
    }
    if (bytes.length !== length) return s3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.')
    const ctype = req.headers['content-type']
    up.put = { bytes, contentType: typeof ctype === 'string' ? ctype : undefined, at: now() }
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`
    return { status: 200, body: '', headers: { etag } }
  }

  // --- files: GET /files/<id>/<filename> (the bucket's public URLs) ---

  function serveFile(req: FakeRequest): FakeResponse {
    if (req.method !== 'GET' && req.method !== 'HEAD') return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.')
    const m = /^\/files\/([^/]+)\/([^/]+)$/.exec(req.path)
    let id = ''
    let name = ''
    try {
      id = decodeURIComponent(m?.[1] ?? '')
      name = decodeURIComponent(m?.[2] ?? '')
    } catch {
      /* a malformed escape names no file */
    }
    const record = records.get(id)
    const file = stored.get(id)
    if (!m || !record || !file || record.filename !== name) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.')
    return { status: 200, body: file.bytes, headers: { 'content-type': file.type, etag: `"${createHash('md5').update(file.bytes).digest('hex')}"` } }
  }

  const route = async (req: FakeRequest): Promise<FakeResponse> => {
    const failure = failures.take(req.path)
    if (failure) return failure
    if (req.path === '/graphql') return graphql(req)
    const storage = /^\/storage\/([^/]+)$/.exec(req.path)
    if (storage) {
      let id: string
      try {
        id = decodeURIComponent(storage[1]!)
      } catch {
        return s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.')
      }
      return storagePut(req, id)
    }
    if (req.path.startsWith('/storage/')) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.')
    if (req.path.startsWith('/files/')) return serveFile(req)
    return { status: 404, body: { errors: [{ message: `No route ${req.method} ${req.path}.`, extensions: { code: 'NOT_FOUND' } }] } }
  }

  const fake = await startFake(route, (path) => path.startsWith('/storage/') || path.startsWith('/files/'), stored)
  base = fake.url
  return {
    ...fake,
    signedUploads,
    remote,
    retentionDays: () => retention,
    failNext(path: string, status: number, body: unknown) {
      failures.add(path, { status, body })
    },
  }
}
