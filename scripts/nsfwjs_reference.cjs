// Reference probabilities of nsfwjs 4.4.0's MobileNetV2, computed by nsfwjs itself in node (tfjs pure-JS CPU
// backend). Run by scripts/nsfwjs_reference.py, which decodes the pictures and reads the answer:
//   node scripts/nsfwjs_reference.cjs NODE_MODULES PIXELS.json
// NODE_MODULES holds `npm install @tensorflow/tfjs@4.22.0 buffer@6 nsfwjs-4.4.0.tgz`; PIXELS.json is a list of
// {name, width, height, rgb (base64 of height*width*3 bytes)}. Prints {name: [Drawing, Hentai, Neutral, Porn, Sexy]}.
const path = require("path");
const fs = require("fs");

async function main() {
  const [modules, pixelsFile] = process.argv.slice(2);
  const tf = require(path.join(modules, "@tensorflow/tfjs"));
  const nsfwjs = require(path.join(modules, "nsfwjs"));
  console.info = () => {}; // nsfwjs announces the model it loads on stdout's neighbour; keep stdout pure JSON
  await tf.setBackend("cpu");
  const model = await nsfwjs.load("MobileNetV2");
  const out = {};
  for (const item of JSON.parse(fs.readFileSync(pixelsFile, "utf8"))) {
    const bytes = Uint8Array.from(Buffer.from(item.rgb, "base64"));
    const image = tf.tensor3d(bytes, [item.height, item.width, 3], "int32");
    const probs = model.infer(image); // nsfwjs's own preprocessing: /255, resizeBilinear(alignCorners) to 224
    out[item.name] = Array.from(await probs.data());
    image.dispose();
    probs.dispose();
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
