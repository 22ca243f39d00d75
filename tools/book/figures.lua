-- Pandoc filter of ./learn book: an image alone in its paragraph becomes a figure with its
-- alt text as the caption (what pandoc's own Markdown calls implicit_figures, which its
-- GitHub reader lacks). The HTML writer turns an image whose title starts "fig:" into
-- <figure><img><figcaption>.
function Para(para)
  if #para.content == 1 and para.content[1].t == "Image" then
    local image = para.content[1]
    if #image.caption > 0 and image.title:sub(1, 4) ~= "fig:" then
      image.title = "fig:" .. image.title
      return pandoc.Para({image})
    end
  end
end
