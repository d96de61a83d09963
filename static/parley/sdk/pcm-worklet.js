/**
 * AudioWorklet: the microphone at the context's rate (44.1/48 kHz) → 16 kHz mono signed
 * 16-bit PCM, posted to the main thread in 100 ms buffers (1600 samples, 3200 bytes).
 *
 * Downsampling averages the input over each output sample's span (a box low-pass filter,
 * then decimation): cheap, and enough for speech, whose energy lies well below 8 kHz.
 */
const OUT_RATE = 16000;
const OUT_FRAME = 1600;

class PcmDownsampler extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / OUT_RATE; // input samples per output sample (global sampleRate)
    this.acc = 0; // running sum for the output sample being built
    this.count = 0; // input samples in it
    this.pos = 0; // input samples consumed into the current output sample, fractional budget
    this.out = new Int16Array(OUT_FRAME);
    this.n = 0;
  }

  process(inputs) {
    const channels = inputs[0];
    if (!channels || !channels.length) return true;
    const length = channels[0].length;
    for (let i = 0; i < length; i++) {
      let sample = 0;
      for (let c = 0; c < channels.length; c++) sample += channels[c][i];
      this.acc += sample / channels.length;
      this.count += 1;
      this.pos += 1;
      if (this.pos >= this.step) {
        this.pos -= this.step;
        const value = Math.max(-1, Math.min(1, this.acc / this.count));
        this.out[this.n++] = value < 0 ? value * 0x8000 : value * 0x7fff;
        this.acc = 0;
        this.count = 0;
        if (this.n === OUT_FRAME) {
          this.port.postMessage(this.out.buffer, [this.out.buffer]);
          this.out = new Int16Array(OUT_FRAME);
          this.n = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor("parley-pcm-16k", PcmDownsampler);
