// `wardwatch demo`: the whole district on this machine. It lives in demo/ and stands on the test fixtures, so it
// runs from a source checkout (`npm run demo`) and is not part of what a box installs.
import { EXIT, type Command } from '../shared/command.js';

export const demoCommand: Command = {
  name: '',
  summary: 'run the whole district on this machine (hub, 3 wards × 8 fake cameras, city receiver)',
  usage: 'wardwatch demo [--data-dir DIR] [--wards 3] [--cameras 8] [--traffic 2] [--seconds N]',
  async run(args, io) {
    let demo: { runDemo(args: string[]): Promise<number> };
    try {
      // a computed specifier: the compiler must not pull demo/ (and the fixtures under it) into the build
      const specifier = '../demo/main.js';
      demo = (await import(specifier)) as typeof demo;
    } catch (err) {
      io.err(`the demo runs from a source checkout: git clone, npm install, npm run demo (${(err as Error).message})`);
      return EXIT.failure;
    }
    return demo.runDemo(args);
  },
};
