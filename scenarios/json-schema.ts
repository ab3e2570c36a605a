import { z } from 'zod';
import { Scenario } from './schema.js';

/**
 * The JSON Schema of scenario files, for editors (YAML language servers, VS Code `json.schemas`).
 * It describes the file as written (`io: 'input'`: fields with defaults are optional). Cross-field
 * rules (unknown references, min <= max) are checked by the loader only.
 *
 * @example
 * writeFileSync('scenario.schema.json', JSON.stringify(scenarioJsonSchema(), null, 2));
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Scenario, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'Reverie scenario', description: 'A Reverie scenario file (YAML or JSON): a family and its data.' };
}
