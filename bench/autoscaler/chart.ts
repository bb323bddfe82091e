// Draws the run as an SVG (lines, axes, labels) and rasterizes it to PNG with resvg.
import { Resvg } from '@resvg/resvg-js';

export interface Series {
  label: string;
  color: string;
  dash?: string;
  width?: number;
  points: [number, number][];
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
  markers?: { x: number; label: string }[];
}

const W = 1200;
const PANEL_H = 300;
const M = { left: 70, right: 230, top: 40, bottom: 40 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

export function renderChart(title: string, xMax: number, panels: Panel[]): { svg: string; png: Buffer } {
  const H = panels.length * PANEL_H + 50;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="26" font-size="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
  ];
  panels.forEach((panel, index) => {
    const top = 40 + index * PANEL_H;
    const x0 = M.left;
    const x1 = W - M.right;
    const y0 = top + PANEL_H - M.bottom;
    const y1 = top + M.top;
    const yMaxRaw = Math.max(1, ...panel.series.flatMap((s) => s.points.map((p) => p[1])));
    const yStep = niceStep(yMaxRaw, 5);
    const yMax = Math.ceil(yMaxRaw / yStep) * yStep;
    const sx = (x: number) => x0 + (x / xMax) * (x1 - x0);
    const sy = (y: number) => y0 - (y / yMax) * (y0 - y1);
    parts.push(`<text x="${x0}" y="${top + 24}" font-size="15" font-weight="bold">${esc(panel.title)}</text>`);
    for (let y = 0; y <= yMax + 1e-9; y += yStep) {
      parts.push(`<line x1="${x0}" x2="${x1}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e4e4e4"/>`);
      parts.push(`<text x="${x0 - 8}" y="${sy(y) + 4}" font-size="12" text-anchor="end">${y}</text>`);
    }
    const xStep = niceStep(xMax, 10);
    for (let x = 0; x <= xMax + 1e-9; x += xStep) {
      parts.push(`<line x1="${sx(x)}" x2="${sx(x)}" y1="${y0}" y2="${y0 + 5}" stroke="#444"/>`);
      parts.push(`<text x="${sx(x)}" y="${y0 + 19}" font-size="12" text-anchor="middle">${x}</text>`);
    }
    for (const m of panel.markers ?? []) {
      parts.push(`<line x1="${sx(m.x)}" x2="${sx(m.x)}" y1="${y1}" y2="${y0}" stroke="#bbb" stroke-dasharray="2,4"/>`);
      parts.push(`<text x="${sx(m.x) + 3}" y="${y1 + 12}" font-size="11" fill="#777">${esc(m.label)}</text>`);
    }
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#444"/>`);
    parts.push(`<line x1="${x0}" x2="${x0}" y1="${y1}" y2="${y0}" stroke="#444"/>`);
    parts.push(
      `<text transform="translate(${x0 - 48},${(y0 + y1) / 2}) rotate(-90)" font-size="13" text-anchor="middle">${esc(panel.yLabel)}</text>`,
    );
    if (index === panels.length - 1) {
      parts.push(`<text x="${(x0 + x1) / 2}" y="${y0 + 36}" font-size="13" text-anchor="middle">simulated time (s)</text>`);
    }
    panel.series.forEach((s, i) => {
      if (s.points.length === 0) return;
      // step lines: a value holds until the next sample
      let d = `M${sx(s.points[0]![0]).toFixed(1)},${sy(s.points[0]![1]).toFixed(1)}`;
      for (let k = 1; k < s.points.length; k += 1) {
        const [x, y] = s.points[k]!;
        d += ` H${sx(x).toFixed(1)} V${sy(y).toFixed(1)}`;
      }
      parts.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      );
      const ly = y1 + 10 + i * 22;
      parts.push(
        `<line x1="${x1 + 15}" x2="${x1 + 45}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      );
      parts.push(`<text x="${x1 + 52}" y="${ly + 4}" font-size="12">${esc(s.label)}</text>`);
    });
  });
  parts.push('</svg>');
  const svg = parts.join('\n');
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  return { svg, png };
}
