// Records badge-maker's own SVG for a set of (label, message, colours, style) cases, so the tests can check
// that burntop.badges.shields lays badges out exactly as shields.io does (tests/badges/test_shields.py).
import { readFileSync, writeFileSync } from 'node:fs'
import { makeBadge } from 'badge-maker'

const version = JSON.parse(readFileSync('node_modules/badge-maker/package.json')).version
const STYLES = ['flat', 'flat-square', 'plastic', 'for-the-badge']
const TEXTS = [
  ['burntop', '1.5M'],
  ['burntop', '1.5M tokens · 12 day streak · level 7'],
  ['burntop streak', '12 days'],
  ['burntop level', '7 · Apprentice'],
  ['burntop demo', '999.9K'],
  ['burntop', 'user not found'],
  ['tokens', 'WWWWiiii 0123456789 %$'],
  ['ünïcödé', 'Ωμέγα — 東京 🔥'],
  ['a<b>&"c\'', '<script>'],
]
const COLOURS = [['#555', '#ff6b00'], ['#eee', '#ff6b00'], ['#555', '#fe7'], ['#eee', '#0a3d62'], ['#555', '#9f9f9f']]

const cases = []
TEXTS.forEach(([label, message], i) => {
  for (const style of STYLES) {
    const [labelColor, color] = COLOURS[(i + STYLES.indexOf(style)) % COLOURS.length]
    cases.push({ label, message, labelColor, color, style,
      svg: makeBadge({ label, message, labelColor, color, style }) })
  }
})
writeFileSync(process.argv[2], JSON.stringify({
  _source: `Output of the npm package badge-maker ${version} (shields.io, MIT OR Apache-2.0), recorded by ` +
    'scripts/badges/record_badge_maker.mjs; do not edit.',
  cases,
}, null, 1) + '\n')
