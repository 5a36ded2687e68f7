// `wardwatch provision …`: the installer's commands.
import type { Command } from '../shared/command.js';
import { credentialsCommand } from './credentials.js';
import { checkCommand } from './check.js';
import { discoverCommand } from './discover.js';
import { initCommand } from './init.js';
import { installCommand } from './install.js';
import { modelCommand } from './model.js';
import { mosquittoCommand } from './mosquitto.js';
import { probeCommand } from './probe.js';
import { validateCommand } from './validate.js';

// each prints its own --help, with its options and exit codes
export const provisionCommands: Command[] = [discoverCommand, probeCommand, initCommand, validateCommand, checkCommand, credentialsCommand, installCommand, modelCommand, mosquittoCommand].map((c) => ({ ...c, ownHelp: true }));
