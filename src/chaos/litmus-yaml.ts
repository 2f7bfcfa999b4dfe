/**
 * The YAML the Litmus bridge writes: a tiny emitter for plain data (objects, arrays,
 * strings, finite numbers, booleans). Every string is written double-quoted with every
 * character YAML could misread escaped, so no value can change the document's shape (no
 * injected key, no comment, no anchor, no type coercion: `"yes"`, `"0x10"` and `"null"`
 * stay strings). Keys are written plain only when they are simple identifiers.
 *
 * @packageDocumentation
 */

/** @internal A value the emitter writes. */
export type YamlValue = string | number | boolean | readonly YamlValue[] | { readonly [key: string]: YamlValue };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * @internal A YAML double-quoted scalar for `text`. Control characters, DEL, C1 controls,
 * the line and paragraph separators, the BOM and U+FFFE/U+FFFF are escaped; a lone UTF-16 surrogate (not
 * representable in YAML) becomes U+FFFD.
 */
export function yamlString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i] + (text[i + 1] as string);
        i++;
      } else out += '\uFFFD';
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\uFFFD';
      continue;
    }
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) out += `\\u${hex4(c)}`;
    else out += text[i];
  }
  return `${out}"`;
}

function key(k: string): string {
  return PLAIN_KEY.test(k) ? k : yamlString(k);
}

function scalar(v: string | number | boolean): string {
  if (typeof v === 'string') return yamlString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`YAML emitter: a non-finite number (${String(v)})`);
    return String(v);
  }
  return v ? 'true' : 'false';
}

function isScalar(v: YamlValue): v is string | number | boolean {
  return typeof v !== 'object';
}

function emit(value: YamlValue, indent: string, lines: string[], lead: string): void {
  // `lead` is what the first line starts with ("key: " or "- "), already indented.
  if (isScalar(value)) {
    lines.push(`${lead}${scalar(value)}`);
    return;
  }
  if (Array.isArray(value)) {
    const items = value as readonly YamlValue[];
    if (items.length === 0) {
      lines.push(`${lead}[]`);
      return;
    }
    if (lead !== '') lines.push(lead.trimEnd());
    for (const item of items) emitItem(item, indent, lines);
    return;
  }
  const entries = Object.entries(value as { readonly [key: string]: YamlValue });
  if (entries.length === 0) {
    lines.push(`${lead}{}`);
    return;
  }
  if (lead !== '') lines.push(lead.trimEnd());
  for (const [k, v] of entries) emit(v, `${indent}  `, lines, `${indent}${key(k)}: `);
}

/** An item of a sequence at `indent`: scalars inline, mappings with their first key on the dash line. */
function emitItem(item: YamlValue, indent: string, lines: string[]): void {
  if (isScalar(item) || Array.isArray(item)) {
    if (isScalar(item)) lines.push(`${indent}- ${scalar(item)}`);
    else if ((item as readonly YamlValue[]).length === 0) lines.push(`${indent}- []`);
    else {
      lines.push(`${indent}-`);
      for (const inner of item as readonly YamlValue[]) emitItem(inner, `${indent}  `, lines);
    }
    return;
  }
  const entries = Object.entries(item as { readonly [key: string]: YamlValue });
  if (entries.length === 0) {
    lines.push(`${indent}- {}`);
    return;
  }
  entries.forEach(([k, v], i) => {
    const lead = i === 0 ? `${indent}- ${key(k)}: ` : `${indent}  ${key(k)}: `;
    emit(v, `${indent}    `, lines, lead);
  });
}

/**
 * @internal One YAML document (without the `---` line) for a mapping, with optional
 * comment lines on top.
 */
export function yamlDocument(root: { readonly [key: string]: YamlValue }, comments: readonly string[] = []): string {
  const lines = comments.map((c) => `# ${c.replace(/[\r\n\u2028\u2029]+/g, ' ')}`);
  emit(root, '', lines, '');
  return `${lines.join('\n')}\n`;
}
