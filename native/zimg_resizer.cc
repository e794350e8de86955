#include "zimg_resizer.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace ffnode {

#ifdef FFNODE_HAVE_ZIMG

namespace {
// zimg needs rows and planes aligned to its vector width: 32 bytes for
// ZIMG_CPU_AUTO, 64 for the AVX-512 kernels of ZIMG_CPU_AUTO_64B.

struct Layout {
  zimg_color_family_e family;
  zimg_pixel_type_e type;
  unsigned depth, subW, subH, planes;
};

bool layoutOf(AVPixelFormat fmt, Layout& l) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  if (!d || (d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_RGB |
                         AV_PIX_FMT_FLAG_ALPHA | AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BE)) ||
      (!(d->flags & AV_PIX_FMT_FLAG_PLANAR) && d->nb_components != 1))
    return false;
  if (d->nb_components != 1 && d->nb_components != 3) return false;
  int depth = d->comp[0].depth;
  for (int c = 0; c < d->nb_components; c++) {
    // one component per plane, no packing, native-endian integers
    if (d->comp[c].plane != c || d->comp[c].shift != 0 || d->comp[c].offset != 0 || d->comp[c].depth != depth) return false;
    if (d->comp[c].step != (depth > 8 ? 2 : 1)) return false;
  }
  if (depth != 8 && depth != 10 && depth != 12 && depth != 16) return false;
  l.family = d->nb_components == 1 ? ZIMG_COLOR_GREY : ZIMG_COLOR_YUV;
  l.type = depth > 8 ? ZIMG_PIXEL_WORD : ZIMG_PIXEL_BYTE;
  l.depth = static_cast<unsigned>(depth);
  l.subW = d->log2_chroma_w;
  l.subH = d->log2_chroma_h;
  l.planes = static_cast<unsigned>(d->nb_components);
  return true;
}

bool filterOf(const std::string& a, zimg_resample_filter_e& f, double& pa, double& pb) {
  pa = pb = NAN;
  // swscale's bicubic is B=0, C=0.6; zimg's default is Catmull-Rom (C=0.5).
  // Same kernel either way keeps the two backends' pictures alike.
  if (a == "bicubic") f = ZIMG_RESIZE_BICUBIC, pa = 0.0, pb = 0.6;
  else if (a == "bilinear") f = ZIMG_RESIZE_BILINEAR;
  else if (a == "lanczos") f = ZIMG_RESIZE_LANCZOS, pa = 3;  // swscale's default taps
  else if (a == "point") f = ZIMG_RESIZE_POINT;
  else return false;
  return true;
}

zimg_chroma_location_e chromaOf(AVChromaLocation l) {
  switch (l) {
    case AVCHROMA_LOC_CENTER: return ZIMG_CHROMA_CENTER;
    case AVCHROMA_LOC_TOPLEFT: return ZIMG_CHROMA_TOP_LEFT;
    case AVCHROMA_LOC_TOP: return ZIMG_CHROMA_TOP;
    case AVCHROMA_LOC_BOTTOMLEFT: return ZIMG_CHROMA_BOTTOM_LEFT;
    case AVCHROMA_LOC_BOTTOM: return ZIMG_CHROMA_BOTTOM;
    default: return ZIMG_CHROMA_LEFT;  // MPEG-2/H.264 default siting
  }
}

bool aligned(const AVFrame* f, unsigned planes, int align) {
  for (unsigned p = 0; p < planes; p++)
    if (reinterpret_cast<uintptr_t>(f->data[p]) % align || f->linesize[p] <= 0 || f->linesize[p] % align) return false;
  return true;
}

// 64 when both frames suit the AVX-512 kernels, 32 for AVX2, 0 for neither.
int alignmentOf(const AVFrame* src, const AVFrame* dst, unsigned planes) {
  for (int a : {64, 32})
    if (aligned(src, planes, a) && aligned(dst, planes, a)) return a;
  return 0;
}

std::string lastError() {
  char msg[256] = {0};
  zimg_get_last_error(msg, sizeof msg);
  zimg_clear_last_error();
  return msg;
}
}  // namespace

bool ZimgResizer::Supports(AVPixelFormat fmt, const std::string& algorithm) {
  Layout l;
  zimg_resample_filter_e f;
  double a, b;
  return layoutOf(fmt, l) && filterOf(algorithm, f, a, b);
}

std::string ZimgResizer::Version() {
  unsigned a = 0, b = 0, c = 0;
  zimg_get_version_info(&a, &b, &c);
  return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c);
}

ZimgResizer::~ZimgResizer() {
  zimg_filter_graph_free(graph_);
  av_free(tmp_);
}

bool ZimgResizer::Build(const AVFrame* src, const AVFrame* dst, int align, Failure& f) {
  int range = src->color_range == AVCOL_RANGE_JPEG ? 1 : 0, chroma = src->chroma_location;
  bool same = srcW_ == src->width && srcH_ == src->height && dstW_ == dst->width && dstH_ == dst->height && fmt_ == src->format &&
              range_ == range && chroma_ == chroma && align_ == align;
  if (same && graph_) return true;
  if (same && !unbuildable_.empty()) {  // failed for this geometry already: don't retry every frame
    f.setMessage("EINVAL", "zimg_filter_graph_build", unbuildable_);
    return false;
  }
  unbuildable_.clear();
  srcW_ = src->width, srcH_ = src->height, dstW_ = dst->width, dstH_ = dst->height, fmt_ = src->format, range_ = range, chroma_ = chroma;
  Layout l;
  zimg_resample_filter_e filter;
  double pa, pb;
  if (!layoutOf(static_cast<AVPixelFormat>(src->format), l) || !filterOf(algorithm_, filter, pa, pb)) {
    f.setMessage("EINVAL", "Scaler.scale", "zimg cannot resize this pixel format");
    return false;
  }
  align_ = align;
  zimg_filter_graph_free(graph_);
  graph_ = nullptr;
  av_freep(&tmp_);
  zimg_image_format in, out;
  zimg_image_format_default(&in, ZIMG_API_VERSION);
  zimg_image_format_default(&out, ZIMG_API_VERSION);
  for (zimg_image_format* x : {&in, &out}) {
    x->pixel_type = l.type;
    x->depth = l.depth;
    x->subsample_w = l.subW;
    x->subsample_h = l.subH;
    x->color_family = l.family;
    x->pixel_range = range ? ZIMG_RANGE_FULL : ZIMG_RANGE_LIMITED;
    x->chroma_location = chromaOf(static_cast<AVChromaLocation>(chroma));
  }
  in.width = static_cast<unsigned>(src->width);
  in.height = static_cast<unsigned>(src->height);
  out.width = static_cast<unsigned>(dst->width);
  out.height = static_cast<unsigned>(dst->height);
  zimg_graph_builder_params p;
  zimg_graph_builder_params_default(&p, ZIMG_API_VERSION);
  p.resample_filter = p.resample_filter_uv = filter;
  p.filter_param_a = p.filter_param_a_uv = pa;
  p.filter_param_b = p.filter_param_b_uv = pb;
  p.cpu_type = align_ == 64 ? ZIMG_CPU_AUTO_64B : ZIMG_CPU_AUTO;
  graph_ = zimg_filter_graph_build(&in, &out, &p);
  if (!graph_) {
    unbuildable_ = lastError();
    f.setMessage("EINVAL", "zimg_filter_graph_build", unbuildable_);
    return false;
  }
  size_t tmpSize = 0;
  if (zimg_filter_graph_get_tmp_size(graph_, &tmpSize) || !(tmp_ = av_malloc(tmpSize ? tmpSize : 1))) {
    zimg_filter_graph_free(graph_);
    graph_ = nullptr;
    f.set(AVERROR(ENOMEM), "Scaler.scale", "zimg temporary buffer");
    return false;
  }
  return true;
}

int ZimgResizer::Scale(const AVFrame* src, AVFrame* dst, Failure& f) {
  Layout l;
  if (!layoutOf(static_cast<AVPixelFormat>(src->format), l)) return decline("the pixel format");
  // zimg wants whole chroma samples: odd sizes of 4:2:0 (853x479) are swscale's.
  unsigned mw = (1u << l.subW) - 1, mh = (1u << l.subH) - 1;
  if ((src->width & mw) || (src->height & mh) || (dst->width & mw) || (dst->height & mh))
    return decline("a size not divisible by the chroma subsampling");
  // Decoders, av_frame_get_buffer and our pools all give 32/64-byte planes on
  // x86; anything else (foreign memory) is swscale's.
  int align = alignmentOf(src, dst, l.planes);
  if (!align) return decline("planes not aligned to 32 bytes");
  Failure built;
  if (!Build(src, dst, align, built)) return decline(built.message);  // swscale can still do it
  zimg_image_buffer_const sb;
  zimg_image_buffer db;
  sb.version = db.version = ZIMG_API_VERSION;
  for (unsigned i = 0; i < 4; i++) {
    bool used = i < l.planes;
    sb.plane[i].data = used ? src->data[i] : nullptr;
    sb.plane[i].stride = used ? src->linesize[i] : 0;
    sb.plane[i].mask = ZIMG_BUFFER_MAX;
    db.plane[i].data = used ? dst->data[i] : nullptr;
    db.plane[i].stride = used ? dst->linesize[i] : 0;
    db.plane[i].mask = ZIMG_BUFFER_MAX;
  }
  if (zimg_filter_graph_process(graph_, &sb, &db, tmp_, nullptr, nullptr, nullptr, nullptr)) {
    f.setMessage("EINVAL", "zimg_filter_graph_process", lastError());
    return -1;
  }
  dst->color_range = src->color_range;
  dst->chroma_location = src->chroma_location;
  return 1;
}

#else  // built without zimg: every resize goes to swscale

bool ZimgResizer::Supports(AVPixelFormat, const std::string&) { return false; }
std::string ZimgResizer::Version() { return ""; }
ZimgResizer::~ZimgResizer() {}
int ZimgResizer::Scale(const AVFrame*, AVFrame*, Failure&) { return decline("this build has no zimg"); }
bool ZimgResizer::Build(const AVFrame*, const AVFrame*, int, Failure&) { return false; }

#endif

}  // namespace ffnode
