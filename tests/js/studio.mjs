// The Studio authoring app's pure modules under node, for tests/test_studio_js.py.
// stdin: {"trees": [group JSON form...], "definitions": [definition JSON form...]}
// stdout: {"minimum": [credits|null...], "maximum": [credits...], "roundtrip": [definition JSON form...], "issues": [[...]...]}
import { readFileSync } from 'node:fs';
import { fromApi, toApi } from '../../openedx_microcred/static/openedx_microcred/studio/js/convert.js';
import { minimumCredits, availableCredits, checkProgramme } from '../../openedx_microcred/static/openedx_microcred/studio/js/model.js';

const input = JSON.parse(readFileSync(0, 'utf8'));
const models = (input.definitions || []).map(fromApi);
const output = {
  minimum: (input.trees || []).map((tree) => minimumCredits(fromApi({ requirements: tree }).requirements)),
  maximum: (input.trees || []).map((tree) => availableCredits(fromApi({ requirements: tree }).requirements)),
  roundtrip: models.map(toApi),
  issues: models.map((model) => checkProgramme(model)),
};
process.stdout.write(JSON.stringify(output));
