/**
 * DeepSeek-V4's marker strings. The bars are U+FF5C FULLWIDTH VERTICAL LINE and the spaces in
 * begin/end of sentence U+2581 LOWER ONE EIGHTH BLOCK, as in the tokenizer; ASCII look-alikes never match.
 */
const BAR = '\uff5c';
const SP = '\u2581';

export const BOS = `<${BAR}begin${SP}of${SP}sentence${BAR}>`;
export const EOS = `<${BAR}end${SP}of${SP}sentence${BAR}>`;
export const USER = `<${BAR}User${BAR}>`;
export const ASSISTANT = `<${BAR}Assistant${BAR}>`;
export const LATEST_REMINDER = `<${BAR}latest_reminder${BAR}>`;
export const THINK_START = '<think>';
export const THINK_END = '</think>';

/** the DSML tag namespace: `<｜DSML｜invoke …>` */
export const DSML = `${BAR}DSML${BAR}`;
export const TOOL_CALLS_START = `<${DSML}tool_calls>`;
export const TOOL_CALLS_END = `</${DSML}tool_calls>`;
export const INVOKE_OPEN = `<${DSML}invoke`;
export const INVOKE_END = `</${DSML}invoke>`;
export const PARAMETER_OPEN = `<${DSML}parameter`;
export const PARAMETER_END = `</${DSML}parameter>`;

/** quick-instruction tasks: a message's `task` appends its token after the message */
export const TASK_TOKENS = {
  action: `<${BAR}action${BAR}>`,
  query: `<${BAR}query${BAR}>`,
  authority: `<${BAR}authority${BAR}>`,
  domain: `<${BAR}domain${BAR}>`,
  title: `<${BAR}title${BAR}>`,
  read_url: `<${BAR}read_url${BAR}>`,
} as const;

export type TaskName = keyof typeof TASK_TOKENS;
