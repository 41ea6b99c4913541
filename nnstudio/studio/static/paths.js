// What a pen-path model receives, drawn as a path: its points (x, y in -1..1, y down)
// joined in order within each stroke, a green dot where a stroke starts (the "start"
// feature) and the pen's direction shown by the dots' spacing.

export function drawPath(canvas, rows) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!Array.isArray(rows) || !rows.length || !Array.isArray(rows[0])) return;
  const margin = 10;
  const scale = (Math.min(canvas.width, canvas.height) - 2 * margin) / 2;
  const at = ([x, y]) => [canvas.width / 2 + x * scale, canvas.height / 2 + y * scale];
  ctx.lineWidth = 2;
  ctx.strokeStyle = "#333";
  ctx.beginPath();
  rows.forEach((row, i) => {
    const [px, py] = at(row);
    if (i === 0 || row[4] > 0.5) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
  ctx.stroke();
  for (const row of rows) {
    const [px, py] = at(row);
    const start = row[4] > 0.5;
    ctx.fillStyle = start ? "#2b8a3e" : "#1c5fb8";
    ctx.beginPath();
    ctx.arc(px, py, start ? 4 : 1.8, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.strokeStyle = "#c5ccd6";
  ctx.strokeRect(0.5, 0.5, canvas.width - 1, canvas.height - 1);
}
