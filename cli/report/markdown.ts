/**
 * Markdown for reports: the results table (mean return ± 95% CI, success rate, mean turns, percent
 * of the oracle) and sample dialogues.
 */
import type { Episode } from '../../actors/episode.js';
import type { Summary } from '../../environments/stats.js';

/** One row of the results table. */
export interface ResultRow {
  /** What the row is: a trained agent, a behaviour policy of the data, or a reference. */
  readonly role: 'trained' | 'behaviour' | 'reference';
  /** Shown in the table. */
  readonly label: string;
  /** The `--policy` argument that played it. */
  readonly policy: string;
  readonly summary: Summary;
  /** Mean return as a percent of the oracle's on the same seeds (null when the oracle's is not positive). */
  readonly percentOfOracle: number | null;
}

function num(x: number, digits = 2): string {
  return x.toFixed(digits);
}

/** The results table, one row per policy, in the order given. */
export function resultsTable(rows: readonly ResultRow[]): string {
  const lines = [
    '| policy | role | mean return ± 95% CI | success rate | mean turns | % of oracle |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const s = r.summary;
    const half = (s.returnCI95[1] - s.returnCI95[0]) / 2;
    lines.push(
      `| ${r.label} | ${r.role} | ${num(s.meanReturn)} ± ${num(half)} | ${(100 * s.successRate).toFixed(1)}% | ${num(s.meanTurns)} | ${r.percentOfOracle === null ? 'n/a' : r.percentOfOracle.toFixed(1) + '%'} |`,
    );
  }
  return lines.join('\n');
}

function actLabel(e: Episode['turns'][number]): string {
  const args = e.act.args ? Object.values(e.act.args).join(', ') : '';
  return `${e.act.type}${args ? `(${args})` : ''}`;
}

/** A dialogue as Markdown: one line per turn, the act and reward of agent turns beside the text. */
export function dialogueMarkdown(ep: Episode, title: string): string {
  const lines = [`### ${title}`, '', `episode seed ${ep.seed} · outcome **${ep.outcome.reason}**${ep.outcome.success && ep.outcome.reason !== 'success' ? ' (success)' : ''} · return ${num(ep.totals.return)} · ${ep.totals.agentTurns} agent turns`, ''];
  for (const t of ep.turns) {
    const who = t.speaker === 'agent' ? '**Agent**' : '*User*';
    const extra = t.speaker === 'agent' ? ` <sub>\`${actLabel(t)}\` r=${num(t.reward)}</sub>` : '';
    lines.push(`- ${who}: ${t.text.replace(/\n/g, ' ')}${extra}`);
  }
  return lines.join('\n') + '\n';
}
