// `wardwatch provision …`: the installer's commands.
import type { Command } from '../cli/command.js';
import { validateCommand } from './validate.js';

export const provisionCommands: Command[] = [validateCommand];
