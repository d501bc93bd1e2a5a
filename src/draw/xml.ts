/**
 * Escaping text for XML (SVG): region names come from the guest's device tree and
 * QEMU's dumps and may hold any character.
 *
 * @module
 */

/**
 * `text` safe inside an XML element or a quoted attribute: `&`, `<`, `>`, `"` and `'`
 * become entities, and characters XML 1.0 forbids (C0 controls other than tab, newline
 * and carriage return; lone surrogates; U+FFFE, U+FFFF) become U+FFFD.
 *
 * @example
 * import * as draw from 'ramaddr/draw'
 * assert.equal(draw.escapeXml('a<b & "c" \'d\'>'), 'a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;')
 * assert.equal(draw.escapeXml('x\u0001y'), 'x\ufffdy')
 */
export const escapeXml = (text: string): string =>
  text
    .replace(
      // eslint-disable-next-line no-control-regex
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      '\ufffd',
    )
    .replace(/[&<>"']/g, (c) =>
      c === '&'
        ? '&amp;'
        : c === '<'
          ? '&lt;'
          : c === '>'
            ? '&gt;'
            : c === '"'
              ? '&quot;'
              : '&apos;',
    )
