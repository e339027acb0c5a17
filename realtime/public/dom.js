// DOM helpers for the parts of the page built imperatively (forms with their own local state).
// Every piece of user text goes into the page through textContent / Text nodes, never innerHTML.
import { ref } from '/vendor/lit-html/directives/ref.js';
import { zoneNames } from './time.js';

export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * A form's own error line: its `.error` child, not one of a component inside it (the recurrence picker
 * has its own), which a plain `$('.error', form)` would find first.
 */
export const formError = (form) => form.querySelector(':scope > .error');

const PROPS = new Set(['checked', 'value', 'disabled', 'hidden', 'open', 'selected', 'required', 'tabIndex']);

/** h('tag', {class, text, onclick, checked, …attributes}, ...children) → a new element. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (PROPS.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function option(value, label, selected = false) {
  return h('option', { value, selected }, label);
}

/** A <select> of the zone names this browser knows (plus `value` and UTC); `followLabel` adds an empty "follow" choice first. */
export function zoneSelect(id, value, { followLabel } = {}) {
  const names = new Set(zoneNames);
  if (value) names.add(value);
  names.add('UTC');
  return h(
    'select',
    { id },
    followLabel ? option('', followLabel, !value) : null,
    [...names].sort().map((z) => option(z, z, z === value)),
  );
}

/**
 * A lit-html element binding that sets CSS custom property `name` to `value` through the CSSOM (the
 * page's policy, style-src 'self', blocks style attributes, which lit-html's styleMap writes first).
 */
export const cssVar = (name, value) => ref((el) => el?.style.setProperty(name, value));
