/** The "## Tools" section DeepSeek-V4 appends to the system prompt: the DSML call format, then one schema per line. */
import { pythonJson } from './python-json.ts';
import { DSML, THINK_END, THINK_START } from './special-tokens.ts';

const TOOLS_TEMPLATE = `## Tools

You have access to a set of tools to help answer the user's question. You can invoke tools by writing a "<${DSML}tool_calls>" block like the following:

<${DSML}tool_calls>
<${DSML}invoke name="$TOOL_NAME">
<${DSML}parameter name="$PARAMETER_NAME" string="true|false">$PARAMETER_VALUE</${DSML}parameter>
...
</${DSML}invoke>
<${DSML}invoke name="$TOOL_NAME2">
...
</${DSML}invoke>
</${DSML}tool_calls>

String parameters should be specified as is and set \`string="true"\`. For all other types (numbers, booleans, arrays, objects), pass the value in JSON format and set \`string="false"\`.

If thinking_mode is enabled (triggered by ${THINK_START}), you MUST output your complete reasoning inside ${THINK_START}...${THINK_END} BEFORE any tool calls or final response.

Otherwise, output directly after ${THINK_END} with tool calls or final response.

### Available Tool Schemas

{tool_schemas}

You MUST strictly follow the above defined tool name and parameter schemas to invoke tool calls.
`;

/** `functions` are the `function` objects of OpenAI tools, rendered in the client's key order */
export function renderToolsSection(functions: readonly unknown[]): string {
  return TOOLS_TEMPLATE.replace('{tool_schemas}', () => functions.map(pythonJson).join('\n'));
}
