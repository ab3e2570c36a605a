import test from 'ava';
import { fillSlots } from '../../../actors/families/template.js';

test('fillSlots gives what replace with a callback gives: every slot, repeated, adjacent, at the ends, none', (t) => {
  const values: Record<string, string> = { a: 'x', b: '{b}', long_name2: 'é🙂' };
  const value = (k: string) => values[k] ?? `<${k}>`;
  for (const template of ['', 'plain text', '{a}', '{a}{a}{b}', 'start {a} middle {long_name2} end', '{missing} and {a}', '{ a } {a-b} {}', '{{a}}']) {
    const expected = template.replace(/\{(\w+)\}/g, (_m, k: string) => value(k));
    t.is(fillSlots(template, value), expected, template);
    t.is(fillSlots(template, value), expected, `${template} (split from the cache)`);
  }
});
