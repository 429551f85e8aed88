/**
 * A registry rule refused the operation. The message is one line meant for a person (the CLI prints it as is;
 * the API turns it into its own error format). Anything else thrown by the registry is a bug or an outage.
 */
export class OpError extends Error {}
