/**
 * Pictures of a memory map: the GPA space of one address space beside `ram_addr_t`
 * space, with the links between them, aliases marked, and a moved BAR's old and new
 * places. Pure: data in, SVG text out ({@link scene} → {@link layout} → {@link toSvg}).
 *
 * @module
 */
export * from './provenance.js'
export * from './scene.js'
export * from './scale.js'
export * from './layout.js'
export * from './xml.js'
export * from './svg.js'
export * from './picture.js'
