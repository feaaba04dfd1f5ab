/** Says once, plainly, when moto is missing, so the skipped suite is not mistaken for a pass. */
import { motoInstalled } from './moto-server.js';

export default function setup(): void {
  if (!motoInstalled()) {
    console.log(
      'test:moto skipped: moto is not installed (`pip install "moto[server]"` provides moto_server)',
    );
  }
}
